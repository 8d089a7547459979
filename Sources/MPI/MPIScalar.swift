import CMPI
import ComplexModule

/// A Swift type with a matching predefined MPI datatype.
public protocol MPIScalar: Sendable {
    static var mpiDatatype: MPI_Datatype { get }
}

extension Float: MPIScalar { public static var mpiDatatype: MPI_Datatype { myriad_mpi_float() } }
extension Double: MPIScalar { public static var mpiDatatype: MPI_Datatype { myriad_mpi_double() } }
extension Int32: MPIScalar { public static var mpiDatatype: MPI_Datatype { myriad_mpi_int32() } }
extension Int64: MPIScalar { public static var mpiDatatype: MPI_Datatype { myriad_mpi_int64() } }
extension UInt64: MPIScalar { public static var mpiDatatype: MPI_Datatype { myriad_mpi_uint64() } }
extension UInt8: MPIScalar { public static var mpiDatatype: MPI_Datatype { myriad_mpi_uint8() } }
/// A real type whose complex counterpart has a predefined MPI datatype.
public protocol MPIComplexComponent: MPIScalar {
    static var mpiComplexDatatype: MPI_Datatype { get }
}
extension Float: MPIComplexComponent {
    public static var mpiComplexDatatype: MPI_Datatype { myriad_mpi_complex_float() }
}
extension Double: MPIComplexComponent {
    public static var mpiComplexDatatype: MPI_Datatype { myriad_mpi_complex_double() }
}
/// `Complex<T>` is laid out as (real, imaginary), like C's `T _Complex`.
extension Complex: MPIScalar where RealType: MPIComplexComponent {
    public static var mpiDatatype: MPI_Datatype { RealType.mpiComplexDatatype }
}

/// Reductions MPI applies element by element.
public enum ReductionOperation: Sendable {
    case sum, min, max

    var handle: MPI_Op {
        switch self {
        case .sum: myriad_mpi_op_sum()
        case .min: myriad_mpi_op_min()
        case .max: myriad_mpi_op_max()
        }
    }
}
