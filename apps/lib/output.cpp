#include "output.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "saddle/error.hpp"

namespace saddle {

namespace fs = std::filesystem;

void prepare_output_dir(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw InputError("output.unwritable", dir, "exists and is not a directory; expected a directory to write results into");
  fs::create_directories(dir, ec);
  if (ec)
    throw InputError("output.unwritable", dir, "cannot create output directory (" + ec.message() + ")");
  if (::access(dir.c_str(), W_OK) != 0)
    throw InputError("output.unwritable", dir,
                     std::string("output directory is not writable (") + std::strerror(errno) + ")");
}

void write_file_atomic(const std::string& dir, const std::string& name, const std::string& content) {
  const fs::path final_path = fs::path(dir) / name;
  const fs::path tmp_path = fs::path(dir) / ("." + name + ".tmp");
  {
    std::ofstream out(tmp_path, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError("output.unwritable", final_path.string(), "cannot open for writing");
    out << content;
    out.flush();
    if (!out) throw InputError("output.unwritable", final_path.string(), "write failed (disk full?)");
  }
  std::error_code ec;
  fs::rename(tmp_path, final_path, ec);
  if (ec) throw InputError("output.unwritable", final_path.string(), "cannot rename into place (" + ec.message() + ")");
}

std::string csv_number(double v) { return format_number(v); }

std::string csv_table(const std::vector<std::string>& columns,
                      const std::vector<std::vector<std::string>>& rows) {
  auto cell = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cell(cells[i]);
    out += "\n";
  };
  line(columns);
  for (const auto& r : rows) line(r);
  return out;
}

void describe_parameters_and_options(const std::vector<ParameterInfo>& parameters,
                                     const std::vector<OptionInfo>& options, std::size_t width,
                                     std::ostream& out) {
  auto pad = [](const std::string& s, std::size_t w) {
    return s.size() >= w ? s + " " : s + std::string(w - s.size(), ' ');
  };
  out << "parameters:\n";
  for (const auto& p : parameters)
    out << "  " << pad(p.name, width) << "default " << pad(format_number(p.default_value), 10)
        << "range " << pad(p.range_text(), 22) << p.description << "\n";
  if (options.empty()) return;
  out << "\noptions:\n";
  for (const auto& o : options) {
    std::string choices;
    for (std::size_t i = 0; i < o.choices.size(); ++i) choices += (i ? " | " : "") + o.choices[i];
    out << "  " << pad(o.name, width) << "default " << pad(o.default_value, 10) << "choices "
        << choices << "  " << o.description << "\n";
  }
}

}  // namespace saddle
