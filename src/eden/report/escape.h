// Escaping of user-supplied text (run, model, class and data set names) for the formats a
// report writes, so that no name can break the YAML front matter, a Markdown table or a link.
#pragma once

#include <string>
#include <string_view>

namespace eden::report {

/// Replaces every invalid UTF-8 sequence with U+FFFD; valid text passes unchanged.
std::string sanitize_utf8(std::string_view text);

/// One line of plain text: valid UTF-8, with line breaks, tabs and other control characters
/// (including U+0085, U+2028, U+2029) turned into single spaces and the ends trimmed.
std::string single_line(std::string_view text);

/// Text that renders literally in CommonMark/GFM, inline or in a table cell: single_line, then
/// `&`, `<`, `>` as entities (no HTML gets through) and the punctuation that starts Markdown
/// syntax (\ ` * _ [ ] | ~ # ! $ { }) backslash-escaped.
std::string markdown_text(std::string_view text);

/// A YAML double-quoted scalar (quotes included) holding `text` exactly (after sanitize_utf8):
/// quotes, backslashes, control characters and Unicode line breaks escaped.
std::string yaml_string(std::string_view text);

/// A relative path or URL made safe as a Markdown link destination: every byte outside
/// [A-Za-z0-9-._~/] percent-encoded (spaces, parentheses, quotes, non-ASCII).
std::string url_path(std::string_view path);

/// An identifier of [a-z0-9_] for BibTeX keys and file names: other runs of characters become
/// one '_'; `fallback` when nothing is left.
std::string identifier(std::string_view text, std::string_view fallback = "run");

}  // namespace eden::report
