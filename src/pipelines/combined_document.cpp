#include "pipelines/combined_document.h"

#include <nlohmann/json.hpp>

namespace teamvl::pipelines {

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

std::string as_html(const CombinedItem& it) {
  if (it.state != "done") return "<p><em>" + html_escape(it.state) + "</em></p>\n";
  // HTML output goes in as it is; everything else is shown verbatim.
  if (it.format == OutputFormat::kHtml) return it.output + "\n";
  return "<pre>" + html_escape(it.output) + "</pre>\n";
}

std::string html(const std::string& title, const std::vector<CombinedItem>& items) {
  std::string out = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
                    "</title></head>\n<body>\n<h1>" + html_escape(title) + "</h1>\n";
  for (const auto& it : items)
    out += "<section>\n<h2>" + html_escape(it.name) + "</h2>\n" + as_html(it) + "</section>\n";
  return out + "</body></html>\n";
}

std::string markdown(const std::string& title, const std::vector<CombinedItem>& items) {
  std::string out = "# " + title + "\n";
  for (const auto& it : items) {
    out += "\n## " + it.name + "\n\n";
    out += it.state == "done" ? it.output + "\n" : "_" + it.state + "_\n";
  }
  return out;
}

std::string json(const std::string& title, const std::vector<CombinedItem>& items) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& it : items) {
    nlohmann::json j{{"name", it.name}, {"state", it.state}};
    nlohmann::json parsed = it.format == OutputFormat::kJson ? nlohmann::json::parse(it.output, nullptr, false)
                                                             : nlohmann::json();
    if (it.state == "done") j["output"] = parsed.is_discarded() || parsed.is_null() ? nlohmann::json(it.output) : parsed;
    arr.push_back(j);
  }
  return nlohmann::json{{"title", title}, {"items", arr}}.dump(2) + "\n";
}

std::string text(const std::string& title, const std::vector<CombinedItem>& items) {
  std::string out = title + "\n";
  for (const auto& it : items) out += "\n== " + it.name + " ==\n" + (it.state == "done" ? it.output : "(" + it.state + ")") + "\n";
  return out;
}

}  // namespace

std::string combined_document(const std::string& title, OutputFormat format, const std::vector<CombinedItem>& items) {
  switch (format) {
    case OutputFormat::kHtml: return html(title, items);
    case OutputFormat::kMarkdown: return markdown(title, items);
    case OutputFormat::kJson: return json(title, items);
    case OutputFormat::kText: return text(title, items);
  }
  return text(title, items);
}

}  // namespace teamvl::pipelines
