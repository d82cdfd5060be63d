/// Dot products of float samples in SIMD lanes, for the short sums (a few hundred samples) that
/// direct evaluation does faster than a transform.
public enum DotProduct {
    /// sum_i base[a + i] x base[b + i] for i = 0..<count: sixteen lanes at a time in two
    /// independent sums (one would wait on its own additions).
    @inlinable @inline(__always)
    public static func of(_ base: UnsafePointer<Float>, _ a: Int, _ b: Int, count: Int) -> Float {
        let raw = UnsafeRawPointer(base), stride = MemoryLayout<Float>.stride
        var even = SIMD8<Float>(repeating: 0), odd = SIMD8<Float>(repeating: 0)
        var index = 0
        while index + 16 <= count {
            even += raw.loadUnaligned(fromByteOffset: (a + index) * stride, as: SIMD8<Float>.self)
                * raw.loadUnaligned(fromByteOffset: (b + index) * stride, as: SIMD8<Float>.self)
            odd += raw.loadUnaligned(fromByteOffset: (a + index + 8) * stride, as: SIMD8<Float>.self)
                * raw.loadUnaligned(fromByteOffset: (b + index + 8) * stride, as: SIMD8<Float>.self)
            index += 16
        }
        if index + 8 <= count {
            even += raw.loadUnaligned(fromByteOffset: (a + index) * stride, as: SIMD8<Float>.self)
                * raw.loadUnaligned(fromByteOffset: (b + index) * stride, as: SIMD8<Float>.self)
            index += 8
        }
        // Pairwise: `sum()` adds the lanes one after another, each waiting on the last.
        let eight = even + odd
        var four = eight.lowHalf + eight.highHalf
        if index + 4 <= count {
            four += raw.loadUnaligned(fromByteOffset: (a + index) * stride, as: SIMD4<Float>.self)
                * raw.loadUnaligned(fromByteOffset: (b + index) * stride, as: SIMD4<Float>.self)
            index += 4
        }
        let two = four.lowHalf + four.highHalf
        var sum = two[0] + two[1]
        while index < count {
            sum += base[a + index] * base[b + index]
            index += 1
        }
        return sum
    }

    /// sum_i a[i] x b[i] for i = 0..<count, in Double: as the Float version, four lanes at a
    /// time in two sums, ending pairwise.
    @inlinable @inline(__always)
    public static func of(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, count: Int) -> Double {
        let left = UnsafeRawPointer(a), right = UnsafeRawPointer(b), stride = MemoryLayout<Double>.stride
        var even = SIMD4<Double>(repeating: 0), odd = SIMD4<Double>(repeating: 0)
        var index = 0
        while index + 8 <= count {
            even += left.loadUnaligned(fromByteOffset: index * stride, as: SIMD4<Double>.self)
                * right.loadUnaligned(fromByteOffset: index * stride, as: SIMD4<Double>.self)
            odd += left.loadUnaligned(fromByteOffset: (index + 4) * stride, as: SIMD4<Double>.self)
                * right.loadUnaligned(fromByteOffset: (index + 4) * stride, as: SIMD4<Double>.self)
            index += 8
        }
        let four = even + odd
        let two = four.lowHalf + four.highHalf
        var sum = two[0] + two[1]
        while index < count {
            sum += a[index] * b[index]
            index += 1
        }
        return sum
    }
}
