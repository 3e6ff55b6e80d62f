#include "pipelines/template.h"

namespace teamvl::pipelines {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool known(const std::string& name) { return name == "input" || name == "file" || name == "item"; }

// Calls fn(literal) and fn_var(name) in order; false on a malformed template.
template <typename Lit, typename Var>
Status walk(const std::string& tpl, Lit&& lit, Var&& var) {
  size_t pos = 0;
  while (pos < tpl.size()) {
    size_t open = tpl.find("{{", pos);
    if (open == std::string::npos) {
      lit(tpl.substr(pos));
      break;
    }
    lit(tpl.substr(pos, open - pos));
    size_t close = tpl.find("}}", open + 2);
    if (close == std::string::npos)
      return Status::InvalidArgument("unclosed '{{' at offset " + std::to_string(open));
    std::string name = trim(tpl.substr(open + 2, close - open - 2));
    if (!known(name))
      return Status::InvalidArgument("unknown placeholder '{{" + name + "}}' (known: {{input}}, {{file}}, {{item}})");
    var(name);
    pos = close + 2;
  }
  return Status::Ok();
}

}  // namespace

Result<std::set<std::string>> template_placeholders(const std::string& tpl) {
  std::set<std::string> names;
  TEAMVL_RETURN_IF_ERROR(walk(tpl, [](const std::string&) {}, [&](const std::string& n) { names.insert(n); }));
  return names;
}

std::string render_template(const std::string& tpl, const TemplateVars& vars) {
  std::string out;
  Status st = walk(tpl, [&](const std::string& s) { out += s; }, [&](const std::string& n) {
    out += n == "input" ? vars.input : n == "file" ? vars.file : vars.item;
  });
  return st.ok() ? out : tpl;
}

}  // namespace teamvl::pipelines
