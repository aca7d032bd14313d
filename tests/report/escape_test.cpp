// Escaping of hostile names: YAML scalars parse back to the same text, Markdown renders
// literally (no table breaks, no HTML, no code spans), links and identifiers stay inert.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "eden/report/escape.h"

namespace {

using namespace eden::report;

const std::vector<std::string>& hostile_names() {
  static const std::vector<std::string> kNames = {
      "plain",
      "quote\"double and 'single'",
      "key: value",
      "- list item",
      "line\nbreak",
      "carriage\rreturn\ttab",
      "---",
      "\n---\nmalicious: true\n---\n",
      "| a | b |",
      "`code` and ```fence```",
      "<script>alert('x')</script>",
      "<!-- comment -->",
      "&amp; entity",
      "**bold** _em_ ~~strike~~",
      "[link](http://example.com) ![img](x.png)",
      "# heading",
      "back\\slash \\n",
      "$math$ {braces}",
      "ünïcødé ✓ 中文 CO₂",
      "nul\x01"
      "control\x7f",
      "line\xE2\x80\xA8separator",
      "bad utf8 \xC3\x28 \xFF",
      "#yaml comment",
      "&anchor *alias !tag %directive @at",
      "  leading and trailing  ",
      "",
  };
  return kNames;
}

TEST(Escape, YamlStringParsesBackToTheSameText) {
  for (const auto& name : hostile_names()) {
    const std::string doc = "key: " + yaml_string(name) + "\nafter: 1\n";
    YAML::Node node;
    ASSERT_NO_THROW(node = YAML::Load(doc)) << doc;
    ASSERT_TRUE(node.IsMap()) << doc;
    EXPECT_EQ(node["key"].as<std::string>(), sanitize_utf8(name)) << doc;
    EXPECT_EQ(node["after"].as<int>(), 1) << doc;
    EXPECT_EQ(node.size(), 2u) << doc;
    EXPECT_EQ(yaml_string(name).find('\n'), std::string::npos) << "one line: " << doc;
  }
}

TEST(Escape, MarkdownTextHasNoActiveSyntax) {
  for (const auto& name : hostile_names()) {
    const std::string md = markdown_text(name);
    EXPECT_EQ(md.find('\n'), std::string::npos) << md;
    EXPECT_EQ(md.find('\r'), std::string::npos) << md;
    EXPECT_EQ(md.find('<'), std::string::npos) << md;
    EXPECT_EQ(md.find('>'), std::string::npos) << md;
    // Every pipe, backtick, star, underscore, bracket is escaped by a backslash that is not
    // itself escaped.
    for (std::size_t i = 0; i < md.size(); ++i) {
      if (std::string("|`*_[]~#!$").find(md[i]) == std::string::npos) continue;
      std::size_t slashes = 0;
      for (std::size_t k = i; k > 0 && md[k - 1] == '\\'; --k) ++slashes;
      EXPECT_EQ(slashes % 2, 1u) << "unescaped '" << md[i] << "' in " << md;
    }
  }
  EXPECT_EQ(markdown_text("a|b"), "a\\|b");
  EXPECT_EQ(markdown_text("<b>&"), "&lt;b&gt;&amp;");
  EXPECT_EQ(markdown_text("T-shirt/top"), "T-shirt/top");
  EXPECT_EQ(markdown_text("line\nbreak"), "line break");
  EXPECT_EQ(markdown_text("\n---\n"), "---");  // a lone "---" line cannot appear
}

TEST(Escape, SingleLineAndUtf8) {
  EXPECT_EQ(single_line("  a \n\n b\t c  "), "a b c");
  EXPECT_EQ(single_line("a\xE2\x80\xA8"
                        "b"),
            "a b");
  EXPECT_EQ(sanitize_utf8("ok ✓"), "ok ✓");
  EXPECT_EQ(sanitize_utf8("\xFF"), "\xEF\xBF\xBD");
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(Escape, UrlPathAndIdentifier) {
  EXPECT_EQ(url_path("training_curve.png"), "training_curve.png");
  EXPECT_EQ(url_path("../my runs/a (1).png"), "../my%20runs/a%20%281%29.png");
  EXPECT_EQ(url_path("x\")<y"), "x%22%29%3Cy");
  EXPECT_EQ(identifier("MobileViTv3-XXS"), "mobilevitv3_xxs");
  EXPECT_EQ(identifier("}\n@misc{evil,"), "misc_evil");
  EXPECT_EQ(identifier("!!!"), "run");
  EXPECT_EQ(identifier("", "model"), "model");
}

}  // namespace
