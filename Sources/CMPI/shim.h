// OpenMPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE, ...) are macros that cast the
// addresses of global structs; Swift cannot import them, so they are exposed as inline functions.
#ifndef MYRIAD_CMPI_SHIM_H
#define MYRIAD_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm _Nonnull myriad_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm _Nonnull myriad_mpi_comm_self(void) { return MPI_COMM_SELF; }
static inline MPI_Comm _Nonnull myriad_mpi_comm_null(void) { return MPI_COMM_NULL; }

static inline MPI_Datatype _Nonnull myriad_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype _Nonnull myriad_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype _Nonnull myriad_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype _Nonnull myriad_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype _Nonnull myriad_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Datatype _Nonnull myriad_mpi_uint8(void) { return MPI_UINT8_T; }
static inline MPI_Datatype _Nonnull myriad_mpi_complex_float(void) { return MPI_C_FLOAT_COMPLEX; }
static inline MPI_Datatype _Nonnull myriad_mpi_complex_double(void) { return MPI_C_DOUBLE_COMPLEX; }

static inline MPI_Op _Nonnull myriad_mpi_op_sum(void) { return MPI_SUM; }
static inline MPI_Op _Nonnull myriad_mpi_op_min(void) { return MPI_MIN; }
static inline MPI_Op _Nonnull myriad_mpi_op_max(void) { return MPI_MAX; }

static inline void * _Nonnull myriad_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Info _Nonnull myriad_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline MPI_Errhandler _Nonnull myriad_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Status * _Nonnull myriad_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }

static inline int myriad_mpi_success(void) { return MPI_SUCCESS; }
static inline int myriad_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int myriad_mpi_max_library_version_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }
static inline int myriad_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline int myriad_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }

#endif
