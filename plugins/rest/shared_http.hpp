// The rest plugin is built on the HTTP plumbing it shares with the admin plugin
// (plugins/common/http, namespace sluice::http): its code names those pieces unprefixed.
#pragma once

#include "auth_tokens.hpp"

namespace sluice::rest {
using namespace sluice::http;
// sluice::Role (a pipeline stage's role) would be ambiguous with the token's role.
using http::Role;
}  // namespace sluice::rest
