#pragma once

// SentencePiece cannot be loaded in sanitizer builds (its plugin needs RTLD_DEEPBIND, which
// AddressSanitizer refuses; see sentencepiece_tokenizer.cpp). Its checks skip there, saying why,
// and run in every normal build.
#ifdef DISTILL_SANITIZED
#define SKIP_IN_SANITIZER_BUILDS() QSKIP("SentencePiece cannot load under AddressSanitizer (RTLD_DEEPBIND)")
#else
#define SKIP_IN_SANITIZER_BUILDS() \
  do {                             \
  } while (0)
#endif
