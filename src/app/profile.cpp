#include "profile.hpp"

#include <fmt/core.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace lanline::app {
namespace {

constexpr std::size_t kMaxProfileName = 64;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string home_directory() {
  std::string home = env("HOME");
  if (!home.empty()) return home;
  if (const passwd* entry = getpwuid(getuid()); entry && entry->pw_dir) return entry->pw_dir;
  return "";
}

// An XDG base directory: the variable when it holds an absolute path (the spec says a
// relative one is to be ignored), else HOME/fallback.
std::filesystem::path xdg_directory(const char* variable, const char* fallback,
                                    std::string& error) {
  std::filesystem::path value = env(variable);
  if (value.is_absolute()) return value;
  std::string home = home_directory();
  if (home.empty()) {
    error = fmt::format("cannot find the home directory: set HOME or {}", variable);
    return {};
  }
  return std::filesystem::path(home) / fallback;
}

}  // namespace

std::string check_profile_name(std::string_view name) {
  if (name.empty()) return "the profile name is empty";
  if (name == "." || name == "..")
    return fmt::format("'{}' is not a profile name (it would name a directory)", name);
  if (name.size() > kMaxProfileName)
    return fmt::format("profile name '{}' is longer than {} characters", name, kMaxProfileName);
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok)
      return fmt::format(
          "profile name '{}' has '{}': use letters, digits, '-', '_' and '.' only", name,
          (c >= 0x20 && c < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", c & 0xff));
  }
  return "";
}

std::optional<Profile> Profile::create(std::string name, std::string& error) {
  if (std::string problem = check_profile_name(name); !problem.empty()) {
    error = problem;
    return std::nullopt;
  }
  Profile profile;
  std::filesystem::path config_home = xdg_directory("XDG_CONFIG_HOME", ".config", error);
  if (config_home.empty()) return std::nullopt;
  std::filesystem::path data_home = xdg_directory("XDG_DATA_HOME", ".local/share", error);
  if (data_home.empty()) return std::nullopt;

  std::filesystem::path runtime = env("XDG_RUNTIME_DIR");
  std::filesystem::path socket_directory =
      runtime.is_absolute()
          ? runtime / "lanline"
          : std::filesystem::path(fmt::format("/tmp/lanline-{}", static_cast<long>(getuid())));

  profile.config_file_ = config_home / "lanline" / name / "config";
  profile.data_file_ = data_home / "lanline" / name / "lanline.db";
  profile.control_socket_ = socket_directory / (name + ".sock");
  profile.name_ = std::move(name);

  // sockaddr_un holds the path and its terminating NUL; a longer one cannot be bound.
  constexpr std::size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path) - 1;
  if (profile.control_socket_.native().size() > kMaxSocketPath) {
    error = fmt::format(
        "the control socket path {} is longer than {} bytes, which Unix sockets cannot "
        "take: set XDG_RUNTIME_DIR to a shorter directory or use a shorter profile name",
        profile.control_socket_.native(), kMaxSocketPath);
    return std::nullopt;
  }
  return profile;
}

bool Profile::prepare_socket_directory(std::string& error) const {
  std::filesystem::path directory = control_socket_.parent_path();
  std::error_code code;
  std::filesystem::create_directories(directory.parent_path(), code);
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    error = fmt::format("cannot create the control socket directory {}: {}", directory.native(),
                        std::strerror(errno));
    return false;
  }
  struct stat info {};
  if (::lstat(directory.c_str(), &info) != 0) {
    error = fmt::format("cannot read the control socket directory {}: {}", directory.native(),
                        std::strerror(errno));
    return false;
  }
  if (!S_ISDIR(info.st_mode) || info.st_uid != getuid()) {
    error = fmt::format(
        "{} is not a directory owned by you, so it cannot hold the control socket safely: "
        "remove it or set XDG_RUNTIME_DIR",
        directory.native());
    return false;
  }
  if ((info.st_mode & 077) != 0 && ::chmod(directory.c_str(), 0700) != 0) {
    error = fmt::format("cannot make {} private (mode 0700): {}", directory.native(),
                        std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace lanline::app
