// lanline: the command line. The desktop app, the headless node and `ctl` come with the
// engine; today it offers `parse`.
#include <CLI/CLI.hpp>

#include "parse_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Lanline: a serverless communicator for the local network"};
  app.require_subcommand(0, 1);

  auto* parse = app.add_subcommand("parse", "Check SIP messages: one line per file");
  std::vector<std::string> files;
  double bench_seconds = 0;
  parse
      ->add_option("--bench", bench_seconds,
                   "Parse the files over and over for SECONDS and print msgs/s and MB/s")
      ->check(CLI::PositiveNumber);
  parse->add_option("files", files, "Files that each hold one SIP message")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*parse) {
    if (bench_seconds > 0) return lanline::app::run_parse_bench(bench_seconds, files);
    return lanline::app::run_parse(files);
  }
  std::cout << app.help();
  return 0;
}
