// FFTW's MPI interface; fftw3-mpi.h needs mpi.h first (this target's pkg-config is ompi-c for that path).
#ifndef MYRIAD_CFFTWMPI_SHIM_H
#define MYRIAD_CFFTWMPI_SHIM_H
#include <mpi.h>
#include <fftw3-mpi.h>

static inline ptrdiff_t myriad_fftw_mpi_default_block(void) { return FFTW_MPI_DEFAULT_BLOCK; }
static inline unsigned myriad_fftw_mpi_transposed_out(void) { return FFTW_MPI_TRANSPOSED_OUT; }
static inline unsigned myriad_fftw_mpi_transposed_in(void) { return FFTW_MPI_TRANSPOSED_IN; }

#endif
