#ifndef EMOPIPE_CBLAS_SHIM_H
#define EMOPIPE_CBLAS_SHIM_H
// The C interface to BLAS: Debian's libblas.so.3 is OpenBLAS when libopenblas0 is installed
// (scripts/install-deps.sh), the reference BLAS otherwise; both export cblas_sgemm.
#include <cblas.h>
#endif
