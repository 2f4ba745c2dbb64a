// A profile's files (DESIGN.md, "Files, per profile"): config, database and control
// socket, under the XDG base directories, so several nodes can run on one host.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace lanline::app {

// Empty when `name` is a valid profile name (letters, digits, '-', '_', '.'; not "." or
// ".."; at most 64 bytes), else what is wrong with it.
std::string check_profile_name(std::string_view name);

class Profile {
 public:
  // Validates the name and works out the paths from the environment (XDG_CONFIG_HOME,
  // XDG_DATA_HOME, XDG_RUNTIME_DIR, HOME). Creates nothing.
  static std::optional<Profile> create(std::string name, std::string& error);

  const std::string& name() const { return name_; }
  // $XDG_CONFIG_HOME/lanline/PROFILE/config (default ~/.config)
  const std::filesystem::path& config_file() const { return config_file_; }
  // $XDG_DATA_HOME/lanline/PROFILE/lanline.db (default ~/.local/share)
  const std::filesystem::path& data_file() const { return data_file_; }
  // $XDG_RUNTIME_DIR/lanline/PROFILE.sock, or /tmp/lanline-UID/PROFILE.sock
  const std::filesystem::path& control_socket() const { return control_socket_; }

  // Creates the control socket's directory, mode 0700, and checks that nobody else owns
  // it: the socket's own mode is no protection if another user can swap the directory.
  bool prepare_socket_directory(std::string& error) const;

 private:
  Profile() = default;
  std::string name_;
  std::filesystem::path config_file_;
  std::filesystem::path data_file_;
  std::filesystem::path control_socket_;
};

}  // namespace lanline::app
