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
            The dataset's last two axes are (lat, lon), latitudes north → south; all leading axes are
            flattened in C order into fields. The transform is torch-harmonics' orthonormal real SHT in
            float64 with lmax = mmax = L. Under mpirun the fields are shared out over the ranks; the numbers
            do not depend on the rank count. Output: CSV with the header field,l,power, one row per field
            and degree l < L.
            """)

    @Option(name: .long, help: "HDF5 file to read.")
    var input: String

    @Option(name: .long, help: "Dataset in the file, e.g. fields or /group/t2m.")
    var dataset: String

    @Option(name: .long, help: "Latitude grid: equiangular | legendre-gauss.")
    var grid: String

    @Option(name: .long, help: "Degrees to compute (exclusive), also the orders (mmax = L).")
    var lmax: Int

    @Option(name: .long, help: "CSV file to write (default: standard output).")
    var output: String?

    @OptionGroup var global: GlobalOptions

    func run() throws {
        runSPMD(global) { world, logger in
            guard let sphere = SphereGrid(rawValue: grid) else {
                throw UsageError("--grid must be equiangular or legendre-gauss, got '\(grid)'")
            }
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

            // One field per transform, so that every field meets the same FFT plan and GEMM shapes whatever
            // the rank count: the numbers are then bit for bit the same at any number of ranks.
            var power = [Double]()
            power.reserveCapacity(mine.count * lmax)
            let fieldsPerRead = 16
            var start = mine.lowerBound
            while start < mine.upperBound {
                let count = min(fieldsPerRead, mine.upperBound - start)
                let values = try readFields(data, shape: shape, range: start..<(start + count))
                let fieldSize = nlat * nlon
                for f in 0..<count {
                    let coefficients = sht.forward(Array(values[(f * fieldSize)..<((f + 1) * fieldSize)]), batch: 1)
                    power += coefficients.withUnsafeBufferPointer {
                        powerSpectrum($0, batch: 1, lmax: sht.lmax, mmax: sht.mmax)
                    }
                }
                start += count
            }
            let all = try world.gatherv(power, root: 0).values
            guard world.isRoot else { return }
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

    /// Fields `range` of the flattened leading axes, read as one hyperslab per contiguous run along axis 0.
    private func readFields(_ data: HDF5Dataset, shape: [Int], range: Range<Int>) throws -> [Double] {
        let inner = shape.dropFirst().dropLast(2).reduce(1, *)   // fields per index of axis 0
        let fieldSize = shape[shape.count - 2] * shape[shape.count - 1]
        if shape.count == 2 { return try data.read(Double.self) }
        var values = [Double]()
        values.reserveCapacity(range.count * fieldSize)
        var f = range.lowerBound
        while f < range.upperBound {
            // One index of axis 0 at a time, the fields of it that fall in range.
            let outer = f / inner
            let first = f % inner
            let take = min(inner - first, range.upperBound - f)
            let rows = try data.read(Double.self, offset: [outer] + Array(repeating: 0, count: shape.count - 1),
                                     count: [1] + Array(shape.dropFirst()))
            values += rows[(first * fieldSize)..<((first + take) * fieldSize)]
            f += take
        }
        return values
    }
}

/// A mistake in the command line or its input files, which every rank finds alike.
struct UsageError: SameOnEveryRank {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Writes to `path.tmp-PID` and renames: a reader never sees half a file, a failure leaves none.
func writeAtomically(_ text: String, to path: String) throws {
    let temporary = "\(path).tmp-\(ProcessInfo.processInfo.processIdentifier)"
    do {
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    } catch {
        try? FileManager.default.removeItem(atPath: temporary)
        throw UsageError("cannot write '\(path)': \(error.localizedDescription)")
    }
}
