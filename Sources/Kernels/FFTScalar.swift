import CFFTW
import ComplexModule
import RealModule

/// Float and Double, each bound to its FFTW precision (`fftwf_*`, `fftw_*`). The requirements are
/// FFTW's entry points for that precision, used by `RealFFT`.
public protocol FFTScalar: Real & BinaryFloatingPoint & Sendable {
    static func planManyR2C(_ n: Int, _ batch: Int, _ input: UnsafeMutablePointer<Self>, _ inStride: Int,
                            _ output: UnsafeMutablePointer<Complex<Self>>, _ outStride: Int,
                            _ flags: UInt32) -> OpaquePointer
    static func planManyC2R(_ n: Int, _ batch: Int, _ input: UnsafeMutablePointer<Complex<Self>>, _ inStride: Int,
                            _ output: UnsafeMutablePointer<Self>, _ outStride: Int,
                            _ flags: UInt32) -> OpaquePointer
    static func executeR2C(_ plan: OpaquePointer, _ input: UnsafeMutablePointer<Self>,
                           _ output: UnsafeMutablePointer<Complex<Self>>)
    static func executeC2R(_ plan: OpaquePointer, _ input: UnsafeMutablePointer<Complex<Self>>,
                           _ output: UnsafeMutablePointer<Self>)
    static func destroyPlan(_ plan: OpaquePointer)
}

extension Float: FFTScalar {
    public static func planManyR2C(_ n: Int, _ batch: Int, _ input: UnsafeMutablePointer<Float>, _ inStride: Int,
                                   _ output: UnsafeMutablePointer<Complex<Float>>, _ outStride: Int,
                                   _ flags: UInt32) -> OpaquePointer {
        var size = Int32(n)
        return output.withMemoryRebound(to: fftwf_complex.self, capacity: 1) { out in
            guard let plan = fftwf_plan_many_dft_r2c(1, &size, Int32(batch), input, nil, 1, Int32(inStride),
                                                     out, nil, 1, Int32(outStride), flags) else {
                fatalError("FFTW could not plan a float r2c transform of length \(n) × \(batch)")
            }
            return plan
        }
    }

    public static func planManyC2R(_ n: Int, _ batch: Int, _ input: UnsafeMutablePointer<Complex<Float>>,
                                   _ inStride: Int, _ output: UnsafeMutablePointer<Float>, _ outStride: Int,
                                   _ flags: UInt32) -> OpaquePointer {
        var size = Int32(n)
        return input.withMemoryRebound(to: fftwf_complex.self, capacity: 1) { inp in
            guard let plan = fftwf_plan_many_dft_c2r(1, &size, Int32(batch), inp, nil, 1, Int32(inStride),
                                                     output, nil, 1, Int32(outStride), flags) else {
                fatalError("FFTW could not plan a float c2r transform of length \(n) × \(batch)")
            }
            return plan
        }
    }

    public static func executeR2C(_ plan: OpaquePointer, _ input: UnsafeMutablePointer<Float>,
                                  _ output: UnsafeMutablePointer<Complex<Float>>) {
        output.withMemoryRebound(to: fftwf_complex.self, capacity: 1) { fftwf_execute_dft_r2c(plan, input, $0) }
    }

    public static func executeC2R(_ plan: OpaquePointer, _ input: UnsafeMutablePointer<Complex<Float>>,
                                  _ output: UnsafeMutablePointer<Float>) {
        input.withMemoryRebound(to: fftwf_complex.self, capacity: 1) { fftwf_execute_dft_c2r(plan, $0, output) }
    }

    public static func destroyPlan(_ plan: OpaquePointer) { fftwf_destroy_plan(plan) }
}

extension Double: FFTScalar {
    public static func planManyR2C(_ n: Int, _ batch: Int, _ input: UnsafeMutablePointer<Double>, _ inStride: Int,
                                   _ output: UnsafeMutablePointer<Complex<Double>>, _ outStride: Int,
                                   _ flags: UInt32) -> OpaquePointer {
        var size = Int32(n)
        return output.withMemoryRebound(to: fftw_complex.self, capacity: 1) { out in
            guard let plan = fftw_plan_many_dft_r2c(1, &size, Int32(batch), input, nil, 1, Int32(inStride),
                                                    out, nil, 1, Int32(outStride), flags) else {
                fatalError("FFTW could not plan a double r2c transform of length \(n) × \(batch)")
            }
            return plan
        }
    }

    public static func planManyC2R(_ n: Int, _ batch: Int, _ input: UnsafeMutablePointer<Complex<Double>>,
                                   _ inStride: Int, _ output: UnsafeMutablePointer<Double>, _ outStride: Int,
                                   _ flags: UInt32) -> OpaquePointer {
        var size = Int32(n)
        return input.withMemoryRebound(to: fftw_complex.self, capacity: 1) { inp in
            guard let plan = fftw_plan_many_dft_c2r(1, &size, Int32(batch), inp, nil, 1, Int32(inStride),
                                                    output, nil, 1, Int32(outStride), flags) else {
                fatalError("FFTW could not plan a double c2r transform of length \(n) × \(batch)")
            }
            return plan
        }
    }

    public static func executeR2C(_ plan: OpaquePointer, _ input: UnsafeMutablePointer<Double>,
                                  _ output: UnsafeMutablePointer<Complex<Double>>) {
        output.withMemoryRebound(to: fftw_complex.self, capacity: 1) { fftw_execute_dft_r2c(plan, input, $0) }
    }

    public static func executeC2R(_ plan: OpaquePointer, _ input: UnsafeMutablePointer<Complex<Double>>,
                                  _ output: UnsafeMutablePointer<Double>) {
        input.withMemoryRebound(to: fftw_complex.self, capacity: 1) { fftw_execute_dft_c2r(plan, $0, output) }
    }

    public static func destroyPlan(_ plan: OpaquePointer) { fftw_destroy_plan(plan) }
}
