// Precompiled for every test: torch strictly before Qt (Qt's `slots` macro breaks torch headers).
#include <torch/torch.h>
#include <QtTest>
