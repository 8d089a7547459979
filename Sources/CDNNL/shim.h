// oneDNN's matmul primitive (Debian libdnnl-dev 2.6, OpenMP runtime), wrapped in C: its memory descriptors are
// structs of unions and fixed arrays that Swift imports awkwardly. Only Kernels/MatmulBF16.swift uses this.
#ifndef MYRIAD_CDNNL_SHIM_H
#define MYRIAD_CDNNL_SHIM_H
#include <stdint.h>
#include <oneapi/dnnl/dnnl.h>

// libgomp's own (omp.h is not on the Swift importer's path). oneDNN parallelises with OpenMP; Myriad runs
// its own threads and wants each matmul on the calling thread only (see Kernels/RankThreads.swift).
void omp_set_num_threads(int);

/// A created matmul `C[m][n] (+)= op(A)[m][k] · op(B)[k][n]`, A and B bf16 (or both f32), C f32, row-major
/// with leading dimensions lda, ldb, ldc; `accumulate` adds to C (sum post-op) instead of overwriting it.
/// Its scratchpad is the caller's (`scratchpad_bytes`, passed to each execution): oneDNN's library-managed one
/// is shared between primitives, and Myriad's threads run distinct primitives at once.
typedef struct {
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t a, b, c, scratchpad;
    size_t scratchpad_bytes;
    const char *implementation;
} myriad_matmul;

// No state lives in these functions but a thread's stream: Swift may emit a copy of an inline C function
// into every module that inlines its caller, each copy with its own statics (an engine kept here was null in
// the benchmark's copy of `execute`, in release builds only). The engine is the caller's (Kernels, created once).

/// 0 on success, else the dnnl_status_t of the step that failed.
static inline int myriad_matmul_create(myriad_matmul *out, dnnl_engine_t engine, int bf16, int64_t m, int64_t n, int64_t k,
                                       int transA, int64_t lda, int transB, int64_t ldb, int64_t ldc,
                                       int accumulate) {
    dnnl_data_type_t in = bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_dims_t ad = {m, k}, bd = {k, n}, cd = {m, n};
    dnnl_dims_t as = {transA ? 1 : lda, transA ? lda : 1};
    dnnl_dims_t bs = {transB ? 1 : ldb, transB ? ldb : 1};
    dnnl_dims_t cs = {ldc, 1};
    dnnl_status_t s;
    if ((s = dnnl_memory_desc_init_by_strides(&out->a, 2, ad, in, as)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_strides(&out->b, 2, bd, in, bs)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_strides(&out->c, 2, cd, dnnl_f32, cs)) != dnnl_success) return s;
    dnnl_matmul_desc_t desc;
    if ((s = dnnl_matmul_desc_init(&desc, &out->a, &out->b, 0, &out->c)) != dnnl_success) return s;
    dnnl_primitive_attr_t attr;
    if ((s = dnnl_primitive_attr_create(&attr)) != dnnl_success) return s;
    dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    // The kernel is chosen, and its per-thread buffers sized, for the threads it will run on: one.
    omp_set_num_threads(1);
    if (accumulate) {
        dnnl_post_ops_t ops;
        dnnl_post_ops_create(&ops);
        dnnl_post_ops_append_sum(ops, 1.0f);
        dnnl_primitive_attr_set_post_ops(attr, ops);
        dnnl_post_ops_destroy(ops);
    }
    dnnl_primitive_desc_t pd;
    s = dnnl_primitive_desc_create(&pd, &desc, attr, engine, 0);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) return s;
    const char *impl = 0;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    out->implementation = impl ? impl : "unknown";
    const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (scratch) { out->scratchpad = *scratch; out->scratchpad_bytes = dnnl_memory_desc_get_size(scratch); }
    else { out->scratchpad_bytes = 0; }
    s = dnnl_primitive_create(&out->primitive, pd);
    // The primitive keeps its own copy of the descriptor; the implementation name lives in the library's
    // static tables.
    dnnl_primitive_desc_destroy(pd);
    return s;
}

/// Runs a created matmul on the calling thread alone, with `scratchpad` of `mm->scratchpad_bytes` (64-byte
/// aligned; NULL when 0). 0 on success, else the dnnl_status_t.
static inline int myriad_matmul_execute(const myriad_matmul *mm, dnnl_engine_t engine, const void *a, const void *b, float *c,
                                        void *scratchpad) {
    // A stream per thread (a copy of this function per module only means a stream per copy and thread).
    static _Thread_local dnnl_stream_t stream = 0;
    omp_set_num_threads(1);
    if (!stream) { if (dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) return dnnl_runtime_error; }
    dnnl_memory_t ma, mb, mc;
    dnnl_status_t s;
    if ((s = dnnl_memory_create(&ma, &mm->a, engine, (void *)a)) != dnnl_success) return s;
    if ((s = dnnl_memory_create(&mb, &mm->b, engine, (void *)b)) != dnnl_success) { dnnl_memory_destroy(ma); return s; }
    if ((s = dnnl_memory_create(&mc, &mm->c, engine, c)) != dnnl_success) { dnnl_memory_destroy(ma); dnnl_memory_destroy(mb); return s; }
    dnnl_memory_t ms = 0;
    int nargs = 3;
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}, {DNNL_ARG_SCRATCHPAD, 0}};
    if (mm->scratchpad_bytes > 0) {
        s = dnnl_memory_create(&ms, &mm->scratchpad, engine, scratchpad);
        if (s == dnnl_success) { args[3].memory = ms; nargs = 4; }
    }
    if (s == dnnl_success) s = dnnl_primitive_execute(mm->primitive, stream, nargs, args);
    if (s == dnnl_success) s = dnnl_stream_wait(stream);
    dnnl_memory_destroy(ma); dnnl_memory_destroy(mb); dnnl_memory_destroy(mc);
    if (ms) dnnl_memory_destroy(ms);
    return s;
}

#endif
