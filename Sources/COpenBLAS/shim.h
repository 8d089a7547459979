// OpenBLAS's CBLAS interface and its configuration queries.
#ifndef MYRIAD_COPENBLAS_SHIM_H
#define MYRIAD_COPENBLAS_SHIM_H
#include <cblas.h>

static inline const char * _Nonnull myriad_openblas_version(void) {
#ifdef OPENBLAS_VERSION
    return OPENBLAS_VERSION;
#else
    return "OpenBLAS (version unknown)";
#endif
}

#endif
