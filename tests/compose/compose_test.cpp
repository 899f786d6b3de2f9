// Static checks of the Docker deployment (compose/docker-compose.yml, compose/Dockerfile,
// .dockerignore): no Docker engine runs on the project's machines, so the files are parsed
// and checked against each other and against the default pipeline (config/pipeline.yaml).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path repo = SLUICE_REPO_DIR;
const fs::path compose_file = repo / "compose" / "docker-compose.yml";
// The pipeline the image runs; SLUICE_TEST_PIPELINE overrides it (to check another file by hand).
const fs::path pipeline_file = std::getenv("SLUICE_TEST_PIPELINE") ? fs::path(std::getenv("SLUICE_TEST_PIPELINE"))
                                                                   : repo / "config" / "pipeline.yaml";

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

class Compose : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(compose_file)) << compose_file;
    try {
      doc_ = YAML::LoadFile(compose_file.string());
    } catch (const YAML::Exception& e) {
      FAIL() << compose_file.string() << ": " << e.what();
    }
    ASSERT_TRUE(doc_["services"].IsMap()) << "no services: map in " << compose_file;
  }

  YAML::Node service(const std::string& name) const { return doc_["services"][name]; }

  // `environment:` as a map, or as a list of KEY=VALUE.
  std::map<std::string, std::string> environment(const std::string& name) const {
    std::map<std::string, std::string> env;
    YAML::Node node = service(name)["environment"];
    if (node.IsMap()) {
      for (const auto& kv : node)
        env[kv.first.as<std::string>()] = kv.second.IsNull() ? "" : kv.second.as<std::string>();
    } else if (node.IsSequence()) {
      for (const auto& item : node) {
        auto text = item.as<std::string>();
        auto eq = text.find('=');
        env[text.substr(0, eq)] = eq == std::string::npos ? "" : text.substr(eq + 1);
      }
    }
    return env;
  }

  // `depends_on:` as service -> condition (the list form means service_started).
  std::map<std::string, std::string> depends_on(const std::string& name) const {
    std::map<std::string, std::string> deps;
    YAML::Node node = service(name)["depends_on"];
    if (node.IsSequence()) {
      for (const auto& item : node) deps[item.as<std::string>()] = "service_started";
    } else if (node.IsMap()) {
      for (const auto& kv : node) {
        deps[kv.first.as<std::string>()] =
            kv.second["condition"] ? kv.second["condition"].as<std::string>() : "service_started";
      }
    }
    return deps;
  }

  // A command or entrypoint as one string (string or list form).
  std::string words(const std::string& name, const std::string& key) const {
    YAML::Node node = service(name)[key];
    if (node.IsScalar()) return node.as<std::string>();
    std::string out;
    if (node.IsSequence()) {
      for (const auto& w : node) out += w.as<std::string>() + " ";
    }
    return out;
  }

  std::string healthcheck(const std::string& name) const {
    YAML::Node hc = service(name)["healthcheck"];
    if (!hc || !hc["test"] || (hc["disable"] && hc["disable"].as<bool>())) return "";
    if (hc["test"].IsScalar()) return hc["test"].as<std::string>();
    std::string test;
    for (const auto& w : hc["test"]) test += w.as<std::string>() + " ";
    return test.rfind("NONE", 0) == 0 ? "" : test;
  }

  YAML::Node doc_;
};

// Every ${VAR} in the scalars of a YAML document (comments are not looked at).
void collect_vars(const YAML::Node& node, std::set<std::string>& out) {
  static const std::regex var(R"(\$\{([A-Za-z_][A-Za-z0-9_]*))");
  if (node.IsScalar()) {
    auto text = node.as<std::string>();
    for (std::sregex_iterator it(text.begin(), text.end(), var), end; it != end; ++it) out.insert((*it)[1]);
  } else if (node.IsSequence() || node.IsMap()) {
    for (const auto& child : node) {
      if (node.IsMap()) {
        collect_vars(child.second, out);
      } else {
        collect_vars(child, out);
      }
    }
  }
}

// ${VAR}, ${VAR:-default} and ${VAR:?message} the way the pipeline loader reads them, with `env`
// as environment (a required one unset comes out empty).
std::string substitute(const std::string& text, const std::map<std::string, std::string>& env) {
  static const std::regex var(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*)|:\?[^}]*)?\})");
  std::string out;
  auto begin = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), var), end; it != end; ++it) {
    out.append(begin, text.cbegin() + it->position());
    auto found = env.find((*it)[1]);
    out += found != env.end() && !found->second.empty() ? found->second : (*it)[3].str();
    begin = text.cbegin() + it->position() + it->length();
  }
  out.append(begin, text.cend());
  return out;
}

YAML::Node load_pipeline() {
  if (!fs::exists(pipeline_file)) {
    ADD_FAILURE() << "the default pipeline " << pipeline_file << " is missing";
    return {};
  }
  return YAML::LoadFile(pipeline_file.string());
}

TEST_F(Compose, HasKafkaPostgresAndSluiceWithHealthchecks) {
  for (const std::string name : {"kafka", "postgres", "sluice"}) {
    ASSERT_TRUE(service(name).IsMap()) << "service " << name << " missing";
    EXPECT_FALSE(healthcheck(name).empty()) << "service " << name << " has no healthcheck";
  }
  EXPECT_EQ(service("kafka")["image"].as<std::string>("").rfind("apache/kafka", 0), 0u)
      << "Kafka should be the official image apache/kafka";
  EXPECT_EQ(service("postgres")["image"].as<std::string>("").rfind("postgres:15", 0), 0u);
  EXPECT_NE(healthcheck("sluice").find("/readyz"), std::string::npos)
      << "the sluice healthcheck should ask /readyz: " << healthcheck("sluice");
}

TEST_F(Compose, SluiceStartsAfterKafkaAndPostgresAreHealthy) {
  auto deps = depends_on("sluice");
  EXPECT_EQ(deps["kafka"], "service_healthy");
  EXPECT_EQ(deps["postgres"], "service_healthy");
  for (const auto& [name, condition] : deps) {
    EXPECT_TRUE(service(name).IsMap()) << "sluice depends on unknown service " << name;
    if (condition == "service_healthy") {
      EXPECT_FALSE(healthcheck(name).empty()) << name << " has no healthcheck";
    }
  }
}

TEST_F(Compose, KafkaIsKraftAndAdvertisedUnderItsServiceName) {
  auto kafka = environment("kafka");
  EXPECT_NE(kafka["KAFKA_PROCESS_ROLES"].find("controller"), std::string::npos) << "KRaft: no controller role";
  EXPECT_NE(kafka["KAFKA_PROCESS_ROLES"].find("broker"), std::string::npos);
  EXPECT_FALSE(kafka["CLUSTER_ID"].empty()) << "KRaft storage needs a CLUSTER_ID";
  EXPECT_NE(kafka["KAFKA_ADVERTISED_LISTENERS"].find("//kafka:9092"), std::string::npos)
      << "other containers must reach the broker as kafka:9092";
  EXPECT_EQ(environment("sluice")["KAFKA_BROKERS"], "kafka:9092");
}

TEST_F(Compose, TopicOfTheDefaultPipelineIsCreatedBeforeSluiceStarts) {
  std::string topic = "orders";
  YAML::Node pipeline = load_pipeline();
  if (pipeline && pipeline["source"]["plugin"].as<std::string>("") == "kafka" &&
      pipeline["source"]["config"]["topic"]) {
    topic = substitute(pipeline["source"]["config"]["topic"].as<std::string>(), environment("sluice"));
  }
  EXPECT_EQ(topic, "orders");
  std::string creator;
  for (const auto& kv : doc_["services"]) {
    auto name = kv.first.as<std::string>();
    std::string cmd = " " + words(name, "entrypoint") + " " + words(name, "command") + " ";
    if (cmd.find("kafka-topics") != std::string::npos && cmd.find("--create") != std::string::npos &&
        (cmd.find(" " + topic + " ") != std::string::npos || cmd.find("--topic=" + topic + " ") != std::string::npos)) {
      creator = name;
    }
  }
  ASSERT_FALSE(creator.empty()) << "no service runs kafka-topics --create --topic " << topic;
  EXPECT_EQ(depends_on(creator)["kafka"], "service_healthy");
  EXPECT_EQ(depends_on("sluice")[creator], "service_completed_successfully")
      << "sluice should start once " << creator << " has created the topic";
}

TEST_F(Compose, DatabaseUrlMatchesThePostgresService) {
  auto url = environment("sluice")["DATABASE_URL"];
  std::smatch m;
  static const std::regex pattern(R"(postgres(ql)?://([^:@/]+):([^@/]*)@([^:/]+)(:(\d+))?/([^?]+).*)");
  ASSERT_TRUE(std::regex_match(url, m, pattern)) << "DATABASE_URL=" << url;
  auto pg = environment("postgres");
  EXPECT_EQ(m[2], pg["POSTGRES_USER"]);
  EXPECT_EQ(m[3], pg["POSTGRES_PASSWORD"]);
  EXPECT_EQ(m[4], "postgres");
  EXPECT_EQ(m[6].matched ? m[6].str() : "5432", "5432");
  EXPECT_EQ(m[7], pg["POSTGRES_DB"]);
  EXPECT_EQ(pg["POSTGRES_DB"], "orders_db");
  EXPECT_EQ(pg["POSTGRES_USER"], "order_user");
}

TEST_F(Compose, EveryVariableOfTheDefaultPipelineIsSetForSluice) {
  YAML::Node pipeline = load_pipeline();
  ASSERT_TRUE(pipeline);
  std::set<std::string> used;
  collect_vars(pipeline, used);
  EXPECT_FALSE(used.empty()) << "the default pipeline uses no ${VAR}: expected KAFKA_BROKERS, DATABASE_URL, ...";
  auto env = environment("sluice");
  std::set<std::string> missing;
  for (const auto& v : used) {
    if (env.find(v) == env.end()) missing.insert(v);
  }
  EXPECT_TRUE(missing.empty()) << "config/pipeline.yaml uses ${" << join(missing)
                               << "} but the sluice service does not set it";
  for (const std::string v : {"KAFKA_BROKERS", "DATABASE_URL", "HTTP_LISTEN"}) {
    EXPECT_FALSE(env[v].empty()) << v << " not set for sluice";
  }
}

TEST_F(Compose, HttpPortIsPublishedAndHealthchecked) {
  auto listen = environment("sluice")["HTTP_LISTEN"];
  auto colon = listen.rfind(':');
  ASSERT_NE(colon, std::string::npos) << "HTTP_LISTEN=" << listen;
  auto port = listen.substr(colon + 1);
  EXPECT_EQ(port, "8081");
  bool published = false;
  for (const auto& p : service("sluice")["ports"]) {
    if (p.IsMap()) {
      published |= p["target"].as<std::string>("") == port;
    } else {
      auto text = p.as<std::string>();
      published |=
          text.size() > port.size() && text.compare(text.size() - port.size() - 1, std::string::npos, ":" + port) == 0;
    }
  }
  EXPECT_TRUE(published) << "container port " << port << " of sluice is not published";
  EXPECT_NE(healthcheck("sluice").find(":" + port + "/"), std::string::npos) << healthcheck("sluice");
}

// Secure by default (README.md, "Docker Compose"): nothing published beyond this host, orders behind a
// read token that must be given, no Grafana with a known password.
TEST_F(Compose, PortsArePublishedOnLoopbackOnly) {
  int published = 0;
  for (const auto& kv : doc_["services"]) {
    for (const auto& p : kv.second["ports"]) {
      ++published;
      const std::string text = p.IsMap() ? p["host_ip"].as<std::string>("") + ":" : p.as<std::string>();
      EXPECT_EQ(text.rfind("127.0.0.1:", 0), 0u)
          << kv.first.as<std::string>() << " publishes " << text << " on every address of the host";
    }
  }
  EXPECT_GE(published, 3);
}

TEST_F(Compose, OrdersNeedAReadTokenThatMustBeSet) {
  YAML::Node pipeline = load_pipeline();
  ASSERT_TRUE(pipeline);
  auto env = environment("sluice");
  std::string read_auth;
  for (const auto& api : pipeline["api"]) {
    if (api["plugin"].as<std::string>("") == "rest") read_auth = api["config"]["read_auth"].as<std::string>("token");
  }
  EXPECT_EQ(substitute(read_auth, env), "token");
  // Compose stops `up` with the message when the variable is unset: no token, no start.
  EXPECT_NE(env["SLUICE_API_TOKENS"].find("read:${SLUICE_READ_TOKEN:?"), std::string::npos) << env["SLUICE_API_TOKENS"];
}

TEST_F(Compose, GrafanaHasNoKnownAdminPassword) {
  auto env = environment("grafana");
  const std::string password = env["GF_SECURITY_ADMIN_PASSWORD"];
  EXPECT_EQ(password.rfind("${GRAFANA_ADMIN_PASSWORD:?", 0), 0u) << "GF_SECURITY_ADMIN_PASSWORD=" << password;
  EXPECT_EQ(password.find(":-"), std::string::npos) << password;
}

TEST_F(Compose, NamedVolumesAreDeclared) {
  std::set<std::string> declared;
  for (const auto& kv : doc_["volumes"]) declared.insert(kv.first.as<std::string>());
  for (const std::string name : {"kafka", "postgres"}) {
    bool named = false;
    for (const auto& v : service(name)["volumes"]) {
      std::string source =
          v.IsMap() ? v["source"].as<std::string>("") : v.as<std::string>().substr(0, v.as<std::string>().find(':'));
      if (source.empty() || source[0] == '.' || source[0] == '/' || source[0] == '~') continue;
      named = true;
      EXPECT_TRUE(declared.count(source)) << "volume " << source << " of " << name << " is not declared";
    }
    EXPECT_TRUE(named) << name << " keeps its data in no named volume";
  }
}

TEST_F(Compose, SluiceIsBuiltByTheDockerfileFromTheRepository) {
  YAML::Node build = service("sluice")["build"];
  ASSERT_TRUE(build.IsMap()) << "sluice should have build: {context, dockerfile}";
  fs::path context = (compose_file.parent_path() / build["context"].as<std::string>(".")).lexically_normal();
  EXPECT_TRUE(fs::exists(context / "CMakeLists.txt")) << "build context " << context << " is not the repository";
  EXPECT_TRUE(fs::exists(context / build["dockerfile"].as<std::string>("Dockerfile")));
}

// ---- Monitoring: prometheus and grafana services, compose/monitoring -------------------

// Bind mounts of a service: container path -> host path (resolved against compose/).
std::map<std::string, fs::path> bind_mounts(const YAML::Node& service) {
  std::map<std::string, fs::path> out;
  for (const auto& v : service["volumes"]) {
    std::string source, target;
    if (v.IsMap()) {
      source = v["source"].as<std::string>("");
      target = v["target"].as<std::string>("");
    } else {
      auto text = v.as<std::string>();
      auto colon = text.find(':');
      if (colon == std::string::npos) continue;
      source = text.substr(0, colon);
      target = text.substr(colon + 1, text.find(':', colon + 1) - colon - 1);
    }
    if (source.rfind("./", 0) == 0 || source.rfind("../", 0) == 0) {
      out[target] = (compose_file.parent_path() / source).lexically_normal();
    }
  }
  return out;
}

TEST_F(Compose, PrometheusScrapesSluiceAndLoadsTheAlertRules) {
  ASSERT_TRUE(service("prometheus").IsMap()) << "no prometheus service";
  EXPECT_EQ(service("prometheus")["image"].as<std::string>("").rfind("prom/prometheus", 0), 0u);
  EXPECT_FALSE(healthcheck("prometheus").empty());
  auto mounts = bind_mounts(service("prometheus"));
  for (const auto& [target, source] : mounts)
    EXPECT_TRUE(fs::exists(source)) << source << " (mounted at " << target << ")";
  std::string config_path = "/etc/prometheus/prometheus.yml";
  std::string command = words("prometheus", "command");
  static const std::regex config_flag(R"(--config\.file=(\S+))");
  std::smatch flag;
  if (std::regex_search(command, flag, config_flag)) config_path = flag[1];
  ASSERT_TRUE(mounts.count(config_path)) << "nothing mounted at " << config_path;
  YAML::Node config = YAML::LoadFile(mounts[config_path].string());

  // Every rule file it loads is mounted, and one of them is compose/monitoring/alerts.yml.
  bool alerts = false;
  for (const auto& rule_file : config["rule_files"]) {
    auto path = rule_file.as<std::string>();
    ASSERT_TRUE(mounts.count(path)) << "rule file " << path << " is not mounted";
    alerts |= mounts[path] == (repo / "compose/monitoring/alerts.yml").lexically_normal();
  }
  EXPECT_TRUE(alerts) << "compose/monitoring/alerts.yml is not among the rule files";

  // The job the rules name scrapes sluice where the default pipeline serves /metrics:
  // metrics_on main (the default) is the HTTP_LISTEN port, else the top-level admin: with
  // metrics: true; read_auth token needs a token.
  YAML::Node rest;
  YAML::Node pipeline = load_pipeline();
  for (const auto& api : pipeline["api"]) {
    if (api["plugin"].as<std::string>("") == "rest") rest.reset(api["config"]);
  }
  ASSERT_TRUE(rest) << "the default pipeline has no rest api";
  const auto env = environment("sluice");
  const YAML::Node admin = pipeline["admin"];
  std::string listen = substitute(rest["metrics_on"].as<std::string>("main") != "main" && admin
                                      ? admin["listen"].as<std::string>("127.0.0.1:8082")
                                      : rest["listen"].as<std::string>(""),
                                  env);
  const std::string port = listen.substr(listen.rfind(':') + 1);
  EXPECT_NE(listen.rfind("127.0.0.1", 0), 0u) << "/metrics listens on the container's loopback: " << listen;
  YAML::Node job;
  for (const auto& scrape : config["scrape_configs"]) {
    if (scrape["job_name"].as<std::string>("") == "sluice") job.reset(scrape);
  }
  ASSERT_TRUE(job) << "no scrape job named sluice (alerts.yml's SluiceDown asks up{job=\"sluice\"})";
  EXPECT_EQ(job["metrics_path"].as<std::string>("/metrics"), "/metrics");
  std::set<std::string> targets;
  for (const auto& sc : job["static_configs"]) {
    for (const auto& t : sc["targets"]) targets.insert(t.as<std::string>());
  }
  EXPECT_TRUE(targets.count("sluice:" + port)) << "targets: " << join(targets) << "; /metrics is on port " << port;
  if (substitute(rest["read_auth"].as<std::string>("token"), env) == "token") {
    EXPECT_TRUE(job["authorization"] || job["bearer_token_file"]) << "read_auth: token, but the scrape sends no token";
    // The token comes from a compose secret mounted into the prometheus service.
    const auto file = job["authorization"]["credentials_file"].as<std::string>("");
    const std::string prefix = "/run/secrets/";
    ASSERT_EQ(file.rfind(prefix, 0), 0u) << "credentials_file " << file << " is not a compose secret";
    const std::string secret = file.substr(prefix.size());
    bool mounted = false;
    for (const auto& s : service("prometheus")["secrets"]) mounted |= s.as<std::string>("") == secret;
    EXPECT_TRUE(mounted) << "secret " << secret << " is not given to prometheus";
    EXPECT_TRUE(doc_["secrets"][secret]) << "secret " << secret << " is not declared";
  }
  EXPECT_EQ(depends_on("prometheus").count("sluice"), 1u);
}

TEST_F(Compose, GrafanaIsProvisionedWithPrometheusAndTheDashboard) {
  ASSERT_TRUE(service("grafana").IsMap()) << "no grafana service";
  EXPECT_EQ(service("grafana")["image"].as<std::string>("").rfind("grafana/grafana", 0), 0u);
  EXPECT_FALSE(healthcheck("grafana").empty());
  EXPECT_EQ(depends_on("grafana").count("prometheus"), 1u);
  auto mounts = bind_mounts(service("grafana"));
  ASSERT_TRUE(mounts.count("/etc/grafana/provisioning")) << "provisioning folder not mounted";
  const fs::path provisioning = mounts["/etc/grafana/provisioning"];

  // The datasource is the prometheus service, with the uid the dashboard defaults to.
  YAML::Node datasources = YAML::LoadFile((provisioning / "datasources/prometheus.yml").string());
  ASSERT_TRUE(datasources["datasources"][0]) << "no datasource provisioned";
  EXPECT_EQ(datasources["datasources"][0]["type"].as<std::string>(""), "prometheus");
  EXPECT_EQ(datasources["datasources"][0]["url"].as<std::string>(""), "http://prometheus:9090");
  const auto uid = datasources["datasources"][0]["uid"].as<std::string>("");

  // The dashboard provider reads a folder that is mounted and holds sluice.json.
  YAML::Node providers = YAML::LoadFile((provisioning / "dashboards/sluice.yml").string());
  const auto folder = providers["providers"][0]["options"]["path"].as<std::string>("");
  ASSERT_TRUE(mounts.count(folder)) << "dashboards folder " << folder << " is not mounted";
  const fs::path dashboard = mounts[folder] / "sluice.json";
  ASSERT_TRUE(fs::exists(dashboard)) << dashboard;
  YAML::Node json = YAML::LoadFile(dashboard.string());  // JSON is YAML
  bool ds_variable = false, instance_variable = false;
  for (const auto& v : json["templating"]["list"]) {
    if (v["type"].as<std::string>("") == "datasource") {
      ds_variable = v["name"].as<std::string>("") == "DS_PROMETHEUS";
      EXPECT_EQ(v["current"]["value"].as<std::string>(""), uid) << "the dashboard's default datasource";
    }
    instance_variable |= v["name"].as<std::string>("") == "instance";
  }
  EXPECT_TRUE(ds_variable) << "no DS_PROMETHEUS datasource variable";
  EXPECT_TRUE(instance_variable) << "no instance variable";
}

// ---- compose/Dockerfile ------------------------------------------------------------------

struct Instruction {
  std::string keyword;  // upper case
  std::string args;
};

std::vector<Instruction> parse_dockerfile(const fs::path& path) {
  std::vector<Instruction> out;
  std::istringstream in(read_text(path));
  std::string line, logical;
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    if (!line.empty() && line.back() == '\\') {
      logical += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    logical += line;
    std::istringstream words(logical);
    Instruction i;
    words >> i.keyword;
    for (auto& c : i.keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::getline(words >> std::ws, i.args);
    out.push_back(i);
    logical.clear();
  }
  return out;
}

TEST(Dockerfile, MultiStageOnDebian12RunningTheDefaultPipelineAsNonRoot) {
  const fs::path dockerfile = repo / "compose" / "Dockerfile";
  ASSERT_TRUE(fs::exists(dockerfile));
  auto instructions = parse_dockerfile(dockerfile);
  std::set<std::string> stages;
  int from_count = 0;
  std::string user_of_last_stage, cmd, entrypoint, last_stage_text, build_text;
  for (const auto& i : instructions) {
    if (i.keyword == "FROM") {
      ++from_count;
      std::istringstream words(i.args);
      std::string image, as, name;
      words >> image;
      while (image.rfind("--", 0) == 0) words >> image;  // --platform=...
      words >> as >> name;
      if (!stages.count(image)) {
        EXPECT_EQ(image, "debian:12") << "FROM " << i.args;
      }
      if (!name.empty()) stages.insert(name);
      if (from_count > 1) build_text += last_stage_text;
      user_of_last_stage.clear();
      last_stage_text.clear();
    }
    last_stage_text += i.keyword + " " + i.args + "\n";
    if (i.keyword == "USER") user_of_last_stage = i.args;
    if (i.keyword == "CMD") cmd = i.args;
    if (i.keyword == "ENTRYPOINT") entrypoint = i.args;
  }
  EXPECT_GE(from_count, 2) << "expected a build stage and a runtime stage";
  EXPECT_FALSE(user_of_last_stage.empty()) << "the runtime stage runs as root";
  EXPECT_EQ(user_of_last_stage.find("root"), std::string::npos);
  EXPECT_NE(user_of_last_stage.rfind("0", 0), 0u);
  std::string command = entrypoint + " " + cmd;
  EXPECT_NE(command.find("sluice"), std::string::npos) << command;
  EXPECT_NE(command.find("run"), std::string::npos) << command;
  EXPECT_NE(command.find("/etc/sluice/pipeline.yaml"), std::string::npos) << command;

  // Build stage: the packages of compose/packages.sh, Release, no tests, installed into /usr.
  EXPECT_NE(build_text.find("packages.sh"), std::string::npos);
  EXPECT_NE(build_text.find("SLUICE_BUILD_PACKAGES"), std::string::npos);
  EXPECT_NE(build_text.find("-DCMAKE_BUILD_TYPE=Release"), std::string::npos);
  EXPECT_NE(build_text.find("-DSLUICE_BUILD_TESTS=OFF"), std::string::npos);
  EXPECT_NE(build_text.find("-DCMAKE_INSTALL_PREFIX=/usr"), std::string::npos);
  EXPECT_NE(build_text.find("cmake --install"), std::string::npos);

  // Runtime stage: curl for the healthcheck, the installed layout copied from the build stage.
  EXPECT_NE(last_stage_text.find(" curl"), std::string::npos) << "curl is needed by the healthcheck";
  for (const std::string path :
       {"/usr/bin/sluice", "/usr/lib/libsluice_core", "/usr/lib/sluice", "/usr/share/sluice", "/etc/sluice"}) {
    EXPECT_NE(last_stage_text.find("COPY --from=build " + path), std::string::npos) << path << " not copied";
  }
  EXPECT_EQ(last_stage_text.find("-dev "), std::string::npos) << "-dev packages in the runtime stage";

  // Files copied from the build context (the repository root) exist.
  for (const auto& i : instructions) {
    if ((i.keyword != "COPY" && i.keyword != "ADD") || i.args.find("--from") != std::string::npos) continue;
    std::istringstream words(i.args);
    std::vector<std::string> parts;
    for (std::string w; words >> w;) {
      if (w.rfind("--", 0) != 0) parts.push_back(w);
    }
    ASSERT_GE(parts.size(), 2u) << i.keyword << " " << i.args;
    for (size_t k = 0; k + 1 < parts.size(); ++k) {
      if (parts[k].find('*') == std::string::npos) {
        EXPECT_TRUE(fs::exists(repo / parts[k])) << parts[k];
      }
    }
  }
}

TEST(Dockerfile, DockerignoreKeepsBuildFoldersAndNodeModulesOut) {
  const fs::path ignore = repo / ".dockerignore";
  ASSERT_TRUE(fs::exists(ignore));
  std::set<std::string> patterns;
  std::istringstream in(read_text(ignore));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') patterns.insert(line);
  }
  EXPECT_TRUE(patterns.count("build*") || patterns.count("build*/") || patterns.count("/build*")) << join(patterns);
  EXPECT_TRUE(patterns.count("**/node_modules") || patterns.count("node_modules")) << join(patterns);
  EXPECT_TRUE(patterns.count(".git")) << join(patterns);
}

}  // namespace
