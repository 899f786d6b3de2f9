#include "admin_routes.hpp"

#include "rest_routes.hpp"

namespace sluice::rest {

AdminRoutes::AdminRoutes(Admin* admin, spdlog::logger& log) : admin_(admin), log_(log) {}

void AdminRoutes::handle(const AdminRequest& request, AdminReply& reply) const {
  if (!admin_) {
    reply.status = 503;
    reply.body = error_json("this host has no admin interface");
    return;
  }
  reply.status = 404;
  reply.body = error_json("not found", "path", request.path);
}

}  // namespace sluice::rest
