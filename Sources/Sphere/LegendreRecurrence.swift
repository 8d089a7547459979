/// A single field's Legendre stage with the functions computed on the fly, in Float64: per segment of 32
/// degrees, the three-term recurrence `P̄_l = a_l x P̄_{l−1} − b_l P̄_{l−2}` restarted from its stored pair
/// (`LegendreSeeds`), over the nodes from the segment's first significant one, 8 nodes (two SIMD vectors of
/// four, two independent recurrences to cover the FMA latency) at a time.
///
/// Per degree and node that is three operations for the recurrence and two for the sums, against two (and a
/// table read) for the table: bound by arithmetic instead of memory bandwidth. Even and odd rows alternate
/// in l, so the loops take them in pairs.
///
/// - planes: `[evenRe | evenIm | oddRe | oddIm][seeds.stride]` in Float64, zero past `nhalf` (the folded
///   field).
/// - products / coefficients: `[evenRows | oddRows][re, im]`, row r of the even block is l = m + 2r, of the
///   odd block l = m + 1 + 2r.

/// `products` of order m: `Σ_k P̄_l^m(x_k) · planes[parity(l)][k]`, real and imaginary parts.
@_specialize(where T == Float)
@_specialize(where T == Double)
func legendreAnalysisRecurrence<T: BinaryFloatingPoint>(
    seeds: LegendreSeeds, m: Int, planes: UnsafePointer<Double>, into products: UnsafeMutablePointer<T>
) {
    typealias V = SIMD4<Double>
    let stride = seeds.stride
    @inline(__always) func load(_ p: UnsafePointer<Double>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    let evenRe = planes, evenIm = planes + stride, oddRe = planes + 2 * stride, oddIm = planes + 3 * stride
    withUnsafeTemporaryAllocation(of: V.self, capacity: 2 * LegendreSeeds.segment) { sums in
        let sums = sums.baseAddress!   // [segment][re, im]
        seeds.forEachSegment(m: m) { segment in
            let (l0, count, pair, x, a, b) = (segment.l0, segment.count, segment.pair, segment.x, segment.a, segment.b)
            guard segment.firstNode < seeds.nhalf else {
                for l in l0..<(l0 + count) { products[2 * seeds.row(l: l, m: m)] = 0; products[2 * seeds.row(l: l, m: m) + 1] = 0 }
                return
            }
            sums.update(repeating: V(), count: 2 * count)
            var k = segment.firstNode / 8 * 8
            while k < stride {
                let x0 = load(x + k), x1 = load(x + k + 4)
                let er0 = load(evenRe + k), er1 = load(evenRe + k + 4)
                let ei0 = load(evenIm + k), ei1 = load(evenIm + k + 4)
                let or0 = load(oddRe + k), or1 = load(oddRe + k + 4)
                let oi0 = load(oddIm + k), oi1 = load(oddIm + k + 4)
                // l0 − m is even: the segment's rows alternate even, odd, even, …
                var p0 = load(pair + k), q0 = load(pair + k + 4)                     // P̄_{l−2}
                var p1 = load(pair + stride + k), q1 = load(pair + stride + k + 4)   // P̄_{l−1}
                sums[0] = sums[0].addingProduct(p0, er0).addingProduct(q0, er1)
                sums[1] = sums[1].addingProduct(p0, ei0).addingProduct(q0, ei1)
                if count > 1 {
                    sums[2] = sums[2].addingProduct(p1, or0).addingProduct(q1, or1)
                    sums[3] = sums[3].addingProduct(p1, oi0).addingProduct(q1, oi1)
                }
                var i = 2
                while i < count {
                    let p = recurrenceStep(a: a[i], b: b[i], x: x0, previous: p0, current: p1)
                    let q = recurrenceStep(a: a[i], b: b[i], x: x1, previous: q0, current: q1)
                    sums[2 * i] = sums[2 * i].addingProduct(p, er0).addingProduct(q, er1)
                    sums[2 * i + 1] = sums[2 * i + 1].addingProduct(p, ei0).addingProduct(q, ei1)
                    p0 = p1; q0 = q1; p1 = p; q1 = q
                    guard i + 1 < count else { break }
                    let r = recurrenceStep(a: a[i + 1], b: b[i + 1], x: x0, previous: p0, current: p1)
                    let s = recurrenceStep(a: a[i + 1], b: b[i + 1], x: x1, previous: q0, current: q1)
                    sums[2 * i + 2] = sums[2 * i + 2].addingProduct(r, or0).addingProduct(s, or1)
                    sums[2 * i + 3] = sums[2 * i + 3].addingProduct(r, oi0).addingProduct(s, oi1)
                    p0 = p1; q0 = q1; p1 = r; q1 = s
                    i += 2
                }
                k += 8
            }
            for i in 0..<count {
                let row = seeds.row(l: l0 + i, m: m)
                products[2 * row] = T(sums[2 * i].sum())
                products[2 * row + 1] = T(sums[2 * i + 1].sum())
            }
        }
    }
}

/// `planes` of order m: `planes[parity][k] = Σ_l P̄_l^m(x_k) · coefficients[row(l)]`, real and imaginary parts;
/// overwritten (zero where no segment is significant and past `nhalf`).
@_specialize(where T == Float)
@_specialize(where T == Double)
func legendreSynthesisRecurrence<T: BinaryFloatingPoint>(
    seeds: LegendreSeeds, m: Int, coefficients: UnsafePointer<T>, into planes: UnsafeMutablePointer<Double>
) {
    typealias V = SIMD4<Double>
    let stride = seeds.stride
    @inline(__always) func load(_ p: UnsafePointer<Double>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) func add(_ v: V, to p: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(p).storeBytes(of: load(p) + v, as: V.self)
    }
    planes.update(repeating: 0, count: 4 * stride)
    let evenRe = planes, evenIm = planes + stride, oddRe = planes + 2 * stride, oddIm = planes + 3 * stride
    withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * LegendreSeeds.segment) { weights in
        let re = weights.baseAddress!, im = re + LegendreSeeds.segment
        seeds.forEachSegment(m: m) { segment in
            let (l0, count, pair, x, a, b) = (segment.l0, segment.count, segment.pair, segment.x, segment.a, segment.b)
            guard segment.firstNode < seeds.nhalf else { return }
            for i in 0..<count {
                re[i] = Double(coefficients[2 * seeds.row(l: l0 + i, m: m)])
                im[i] = Double(coefficients[2 * seeds.row(l: l0 + i, m: m) + 1])
            }
            var k = segment.firstNode / 8 * 8
            while k < stride {
                let x0 = load(x + k), x1 = load(x + k + 4)
                var p0 = load(pair + k), q0 = load(pair + k + 4)
                var p1 = load(pair + stride + k), q1 = load(pair + stride + k + 4)
                var er0 = p0 * re[0], er1 = q0 * re[0], ei0 = p0 * im[0], ei1 = q0 * im[0]
                var or0 = V(), or1 = V(), oi0 = V(), oi1 = V()
                if count > 1 {
                    or0 = p1 * re[1]; or1 = q1 * re[1]; oi0 = p1 * im[1]; oi1 = q1 * im[1]
                }
                var i = 2
                while i < count {
                    let p = recurrenceStep(a: a[i], b: b[i], x: x0, previous: p0, current: p1)
                    let q = recurrenceStep(a: a[i], b: b[i], x: x1, previous: q0, current: q1)
                    er0 = er0.addingProduct(p, re[i]); er1 = er1.addingProduct(q, re[i])
                    ei0 = ei0.addingProduct(p, im[i]); ei1 = ei1.addingProduct(q, im[i])
                    p0 = p1; q0 = q1; p1 = p; q1 = q
                    guard i + 1 < count else { break }
                    let r = recurrenceStep(a: a[i + 1], b: b[i + 1], x: x0, previous: p0, current: p1)
                    let s = recurrenceStep(a: a[i + 1], b: b[i + 1], x: x1, previous: q0, current: q1)
                    or0 = or0.addingProduct(r, re[i + 1]); or1 = or1.addingProduct(s, re[i + 1])
                    oi0 = oi0.addingProduct(r, im[i + 1]); oi1 = oi1.addingProduct(s, im[i + 1])
                    p0 = p1; q0 = q1; p1 = r; q1 = s
                    i += 2
                }
                add(er0, to: evenRe + k); add(er1, to: evenRe + k + 4)
                add(ei0, to: evenIm + k); add(ei1, to: evenIm + k + 4)
                add(or0, to: oddRe + k); add(or1, to: oddRe + k + 4)
                add(oi0, to: oddIm + k); add(oi1, to: oddIm + k + 4)
                k += 8
            }
        }
    }
}
