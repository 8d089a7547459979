import ArgumentParser
import Foundation
import MPI
import Sphere
import Storage

/// `myriad spectrum`: angular power spectra of the fields in an HDF5 dataset.
struct Spectrum: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Angular power spectra E(l) = Σ_m c_m |a_lm|² of the fields in an HDF5 dataset.",
        discussion: """
            The dataset's last two axes are (lat, lon), latitudes north → south; all leading axes are \
            flattened in C order into fields. The transform is torch-harmonics' orthonormal real SHT in \
            float64 with lmax = mmax = L. Under mpirun the fields are shared out over the ranks; the numbers \
            do not depend on the rank count. Output: CSV with the header field,l,power, one row per field \
            and degree l < L.
            """)

    @Option(name: .long, help: "HDF5 file to read.")
    var input: String

    @Option(name: .long, help: "Dataset in the file, e.g. fields or /group/t2m.")
    var dataset: String

    @Option(name: .long, help: "Latitude grid.")
    var grid: SphereGrid

    @Option(name: .long, help: "Degrees to compute (exclusive), also the orders (mmax = L).")
    var lmax: Int

    @Option(name: .long, help: "CSV file to write (default: standard output).")
    var output: String?

    @OptionGroup var global: GlobalOptions

    func run() throws {
        runSPMD(global) { world, logger in
            let sphere = grid
            let file: HDF5File
            let data: HDF5Dataset
            do {
                file = try HDF5File.open(input)
                data = try open(dataset, in: file)
            } catch {
                throw UsageError("\(error)")
            }
            let shape = data.shape
            guard shape.count >= 2 else {
                throw UsageError("\(input): '\(dataset)' has shape \(shape); need at least two axes (lat, lon)")
            }
            let (nlat, nlon) = (shape[shape.count - 2], shape[shape.count - 1])
            let fieldCount = shape.dropLast(2).reduce(1, *)
            let sht: RealSHT<Double>
            do {
                sht = try RealSHT<Double>(grid: sphere, nlat: nlat, nlon: nlon, lmax: lmax, mmax: lmax)
            } catch {
                throw UsageError("\(input): '\(dataset)' (\(nlat) × \(nlon)): \(error); choose --lmax between 1 and \(min(nlat, nlon / 2 + 1))")
            }
            let mine = splitRange(fieldCount, parts: world.size, index: world.rank)
            logger.info("spectrum: \(fieldCount) field(s) of \(nlat) × \(nlon) \(sphere), lmax \(lmax), \(world.size) rank(s)")

            // One field per read and per transform, so that every field meets the same FFT plan and GEMM
            // shapes whatever the rank count: the numbers are then bit for bit the same at any rank count.
            var power = [Double]()
            power.reserveCapacity(mine.count * lmax)
            var nonFinite: [Int64] = []   // (field, points) pairs of fields with NaN or infinity
            for f in mine {
                let field = try readField(data, shape: shape, index: f)
                let bad = field.lazy.filter { !$0.isFinite }.count
                if bad > 0 { nonFinite += [Int64(f), Int64(bad)] }
                let coefficients = sht.forward(field, batch: 1)
                power += coefficients.withUnsafeBufferPointer {
                    powerSpectrum($0, batch: 1, lmax: sht.lmax, mmax: sht.mmax)
                }
            }
            let all = try world.gatherv(power, root: 0).values
            let bad = try world.gatherv(nonFinite, root: 0).values
            guard world.isRoot else { return }
            if !bad.isEmpty {
                let fields = stride(from: 0, to: bad.count, by: 2).map { bad[$0] }
                let points = stride(from: 1, to: bad.count, by: 2).reduce(Int64(0)) { $0 + bad[$1] }
                logger.warning("spectrum: \(fields.count) of \(fieldCount) field(s) hold NaN or infinity (\(points) point(s) in all; fields \(fields.prefix(10).map(String.init).joined(separator: ", "))\(fields.count > 10 ? ", …" : "")): their spectra are NaN")
            }
            var csv = "field,l,power\n"
            for f in 0..<fieldCount {
                for l in 0..<lmax { csv += "\(f),\(l),\(all[f * lmax + l])\n" }
            }
            if let output {
                try writeAtomically(csv, to: output)
                logger.info("spectrum: wrote \(fieldCount * lmax) rows to \(output)")
            } else {
                print(csv, terminator: "")
            }
        }
    }

    private func open(_ path: String, in file: HDF5File) throws -> HDF5Dataset {
        let parts = path.split(separator: "/").map(String.init)
        guard let last = parts.last else { throw UsageError("--dataset is empty") }
        var group: HDF5Group = file
        for name in parts.dropLast() { group = try group.openGroup(name) }
        return try group.openDataset(last)
    }

    /// Field `index` of the flattened (C-order) leading axes: exactly one (lat, lon) hyperslab.
    private func readField(_ data: HDF5Dataset, shape: [Int], index: Int) throws -> [Double] {
        let leading = shape.dropLast(2)
        var offset = [Int](repeating: 0, count: shape.count)
        var rest = index
        for axis in leading.indices.reversed() {
            offset[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        let count = leading.map { _ in 1 } + shape.suffix(2)
        return try data.read(Double.self, offset: offset, count: count)
    }
}
