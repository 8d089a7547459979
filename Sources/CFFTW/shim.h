// FFTW in single (fftwf_*, the SFNO) and double (fftw_*, the shallow-water model) precision.
#ifndef MYRIAD_CFFTW_SHIM_H
#define MYRIAD_CFFTW_SHIM_H
#include <fftw3.h>

static inline unsigned myriad_fftw_measure(void) { return FFTW_MEASURE; }
static inline unsigned myriad_fftw_estimate(void) { return FFTW_ESTIMATE; }
static inline unsigned myriad_fftw_patient(void) { return FFTW_PATIENT; }
static inline unsigned myriad_fftw_destroy_input(void) { return FFTW_DESTROY_INPUT; }
static inline unsigned myriad_fftw_preserve_input(void) { return FFTW_PRESERVE_INPUT; }
static inline const char * _Nonnull myriad_fftw_version(void) { return fftw_version; }
static inline const char * _Nonnull myriad_fftwf_version(void) { return fftwf_version; }

#endif
