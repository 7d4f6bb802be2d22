#pragma once

// Small model shapes shared by the model-level tests (one of each architecture).
#include <QtTest>

#include "distill/config.h"

inline void addModelSpecRows() {
  QTest::addColumn<QString>("arch");
  QTest::newRow("transformer") << "transformer";
  QTest::newRow("llama (grouped-query)") << "llama";
  QTest::newRow("lstm") << "lstm";
  QTest::newRow("gru") << "gru";
}

inline distill::ModelSpec smallSpec(const QString& arch) {
  distill::ModelSpec spec;
  spec.arch = *distill::enumFromName<distill::Arch>(arch.toStdString());
  spec.layers = 2;
  spec.heads = 2;
  spec.embd = 16;
  spec.hidden = 24;
  if (spec.arch == distill::Arch::Llama) spec.kv_heads = 1;  // two query heads share one key/value head
  return spec;
}
