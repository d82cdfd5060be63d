import CDNNL
import Foundation

// Every matrix product of the network runtime goes through oneDNN's row-major sgemm (JIT kernels
// for the CPU it finds: AVX-512 where there is AVX-512), on the caller's thread. Whisper tiny.en
// transcribes 60 s of speech in 3.4 s on one core this way against 4.7 s through Debian's
// OpenBLAS 0.3.21, whose kernels stop at AVX2 on AMD CPUs (Benchmarks/speech.sh).

/// C = A B (+ C when `accumulate`), row-major: A is m x k, B is k x n, C is m x n.
@inline(__always)
func matrixMultiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                    m: Int, n: Int, k: Int, accumulate: Bool = false) {
    gemm(transposeB: false, m: m, n: n, k: k, alpha: 1, a, lda: k, b, ldb: n, beta: accumulate ? 1 : 0, c, ldc: n)
}

/// y = A x (+ y when `accumulate`): A is m x n, row-major (y^T = x^T A^T).
@inline(__always)
func matrixVector(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                  m: Int, n: Int, accumulate: Bool = false) {
    gemm(transposeB: true, m: 1, n: m, k: n, alpha: 1, x, lda: n, a, ldb: n, beta: accumulate ? 1 : 0, y, ldc: m)
}

/// C = A B^T (+ C when `accumulate`), row-major: A is m x k, B is n x k (PyTorch's weight
/// layout), C is m x n.
@inline(__always)
func matrixMultiplyTransposed(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                              m: Int, n: Int, k: Int, accumulate: Bool = false) {
    gemm(transposeB: true, m: m, n: n, k: k, alpha: 1, a, lda: k, b, ldb: k, beta: accumulate ? 1 : 0, c, ldc: n)
}

/// C = alpha op(A) op(B) + beta C with leading dimensions (row-major), for operands that are
/// column blocks of wider matrices (one attention head's columns of a fused projection).
@inline(__always)
func matrixMultiplyStrided(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                           _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int,
                           alpha: Float = 1, beta: Float = 0) {
    gemm(transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
}

@inline(__always)
private func gemm(transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, _ a: UnsafePointer<Float>, lda: Int,
                  _ b: UnsafePointer<Float>, ldb: Int, beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    OneDNN.stayOnThisThread()
    let status = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: transposeB ? "T" : "N")), Int64(m), Int64(n), Int64(k),
                            alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
    precondition(status == dnnl_success, "oneDNN sgemm refused \(m)x\(k) by \(k)x\(n) (\(OneDNN.describe(status)))")
}
