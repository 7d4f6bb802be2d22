#pragma once

// The Unicode character classes GPT-2's pre-tokenizer pattern uses (\p{L}, \p{N}, \s), which
// <regex> cannot express.

namespace distill {

bool isUnicodeLetter(char32_t cp);      ///< general category L*
bool isUnicodeNumber(char32_t cp);      ///< general category N*
bool isUnicodeWhitespace(char32_t cp);  ///< the White_Space property (what \s matches in Oniguruma)

}  // namespace distill
