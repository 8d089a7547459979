// Parallel HDF5 (the OpenMPI build) and its high-level library (dimension scales, H5LT).
// HDF5's property-list classes, native types and flags are macros over library globals that are only
// valid after H5open(); Swift cannot import them, so they are exposed as inline functions.
#ifndef MYRIAD_CHDF5_SHIM_H
#define MYRIAD_CHDF5_SHIM_H
#include <mpi.h>
#include <hdf5.h>
#include <hdf5_hl.h>

static inline hid_t myriad_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t myriad_h5p_file_access(void) { H5open(); return H5P_FILE_ACCESS; }
static inline hid_t myriad_h5p_file_create(void) { H5open(); return H5P_FILE_CREATE; }
static inline hid_t myriad_h5p_dataset_create(void) { H5open(); return H5P_DATASET_CREATE; }
static inline hid_t myriad_h5p_dataset_xfer(void) { H5open(); return H5P_DATASET_XFER; }
static inline hid_t myriad_h5p_link_create(void) { H5open(); return H5P_LINK_CREATE; }
static inline hid_t myriad_h5p_group_create(void) { H5open(); return H5P_GROUP_CREATE; }
static inline hid_t myriad_h5p_attribute_create(void) { H5open(); return H5P_ATTRIBUTE_CREATE; }

static inline hid_t myriad_h5t_native_float(void) { H5open(); return H5T_NATIVE_FLOAT; }
static inline hid_t myriad_h5t_native_double(void) { H5open(); return H5T_NATIVE_DOUBLE; }
static inline hid_t myriad_h5t_native_int32(void) { H5open(); return H5T_NATIVE_INT32; }
static inline hid_t myriad_h5t_native_int64(void) { H5open(); return H5T_NATIVE_INT64; }
static inline hid_t myriad_h5t_native_uint8(void) { H5open(); return H5T_NATIVE_UINT8; }
static inline hid_t myriad_h5t_c_s1(void) { H5open(); return H5T_C_S1; }
static inline hid_t myriad_h5t_ieee_f32le(void) { H5open(); return H5T_IEEE_F32LE; }
static inline hid_t myriad_h5t_ieee_f64le(void) { H5open(); return H5T_IEEE_F64LE; }
static inline hid_t myriad_h5t_std_i32le(void) { H5open(); return H5T_STD_I32LE; }
static inline hid_t myriad_h5t_std_i64le(void) { H5open(); return H5T_STD_I64LE; }
static inline hid_t myriad_h5t_std_u8le(void) { H5open(); return H5T_STD_U8LE; }

static inline hid_t myriad_h5s_all(void) { return H5S_ALL; }
static inline hid_t myriad_h5e_default(void) { return H5E_DEFAULT; }
static inline size_t myriad_h5t_variable(void) { return H5T_VARIABLE; }

static inline unsigned myriad_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned myriad_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned myriad_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned myriad_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned myriad_h5p_crt_order_tracked(void) { return H5P_CRT_ORDER_TRACKED; }
static inline unsigned myriad_h5p_crt_order_indexed(void) { return H5P_CRT_ORDER_INDEXED; }
static inline hsize_t myriad_h5s_unlimited(void) { return H5S_UNLIMITED; }

static inline int myriad_h5_have_parallel(void) {
#ifdef H5_HAVE_PARALLEL
    return 1;
#else
    return 0;
#endif
}

// Parallel-only calls, declared only when H5_HAVE_PARALLEL; wrapped so Swift sees one signature.
static inline herr_t myriad_h5p_set_fapl_mpio(hid_t fapl, MPI_Comm _Nonnull comm) {
#ifdef H5_HAVE_PARALLEL
    return H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
#else
    (void)fapl; (void)comm; return -1;
#endif
}
static inline herr_t myriad_h5p_set_dxpl_mpio(hid_t dxpl, int collective) {
#ifdef H5_HAVE_PARALLEL
    return H5Pset_dxpl_mpio(dxpl, collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT);
#else
    (void)dxpl; (void)collective; return -1;
#endif
}
static inline herr_t myriad_h5p_set_all_coll_metadata_ops(hid_t plist, int on) {
#ifdef H5_HAVE_PARALLEL
    return H5Pset_all_coll_metadata_ops(plist, on ? 1 : 0);
#else
    (void)plist; (void)on; return 0;
#endif
}

#endif
