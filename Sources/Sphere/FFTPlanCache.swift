import Foundation
import Kernels

/// Real FFT plans of one length, one per number of rows, made on first use and shared by every caller.
///
/// Plans are made with FFTW_ESTIMATE, never MEASURE: a measured plan can pick a different algorithm in each
/// process, and so round differently — members must be bitwise the same in any layout and on any rerun.
final class FFTPlanCache<T: FFTScalar>: @unchecked Sendable {
    let length: Int
    private var plans: [Int: RealFFT<T>] = [:]
    private let lock = NSLock()

    init(length: Int) { self.length = length }

    func plan(rows: Int) -> RealFFT<T> {
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[rows] { return plan }
        let plan = RealFFT<T>(length: length, batch: rows, rigor: .estimate)
        plans[rows] = plan
        return plan
    }
}
