#if canImport(Glibc)
import Glibc
#endif

/// A fixed-size, 64-byte aligned, zero-initialised buffer of a trivial element type.
///
/// FFTW plans made on aligned memory use SIMD codelets and may only be executed on equally aligned
/// arrays; 64 bytes also keeps AVX-512 loads and cache lines happy for BLAS.
///
/// Buffers of 2 MiB and more are aligned to 2 MiB and offered to the kernel as transparent huge pages
/// (`madvise`, for systems where THP is "madvise" only): transposes of batched spectra touch dozens
/// of rows megabytes apart at once, and with 4 KiB pages every one of them is a TLB miss.
public final class AlignedBuffer<Element>: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Element>

    public init(count: Int) {
        precondition(count >= 0, "AlignedBuffer: negative count \(count)")
        precondition(_isPOD(Element.self), "AlignedBuffer holds trivial element types only")
        self.count = count
        var raw: UnsafeMutableRawPointer? = nil
        let bytes = max(1, count * MemoryLayout<Element>.stride)
        let hugePage = 2 << 20
        let alignment = bytes >= hugePage ? hugePage : 64
        guard posix_memalign(&raw, alignment, bytes) == 0, let raw else {
            fatalError("AlignedBuffer: could not allocate \(bytes) bytes")
        }
        if bytes >= hugePage {
            _ = madvise(raw, bytes / hugePage * hugePage, MADV_HUGEPAGE)   // advice only: failure is harmless
        }
        memset(raw, 0, bytes)
        pointer = raw.bindMemory(to: Element.self, capacity: max(count, 1))
    }

    deinit { free(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    public subscript(i: Int) -> Element {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}
