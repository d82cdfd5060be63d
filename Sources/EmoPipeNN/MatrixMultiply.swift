import CBLAS
import Foundation

/// OpenBLAS runs one call on several threads when it can; a pipeline already runs its stages and
/// inputs side by side, so each call here stays on its caller's thread (unless the user set
/// OPENBLAS_NUM_THREADS). Other BLAS libraries lack the function and are left as they are.
private let singleThreadedBLAS: Void = {
    guard ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil,
          let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "openblas_set_num_threads") else { return }
    typealias SetThreads = @convention(c) (Int32) -> Void
    unsafeBitCast(symbol, to: SetThreads.self)(1)
}()

/// Called once before the first multiplication.
func prepareBLAS() { _ = singleThreadedBLAS }

/// C = A B (+ C when `accumulate`), row-major, through BLAS's sgemm: A is m x k, B is k x n,
/// C is m x n. Every inner product of the network runtime goes through here.
@inline(__always)
func matrixMultiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                    m: Int, n: Int, k: Int, accumulate: Bool = false) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                a, Int32(k), b, Int32(n), accumulate ? 1 : 0, c, Int32(n))
}

/// y = A x (+ y when `accumulate`) through BLAS's sgemv: A is m x n, row-major.
@inline(__always)
func matrixVector(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                  m: Int, n: Int, accumulate: Bool = false) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), 1, a, Int32(n), x, 1, accumulate ? 1 : 0, y, 1)
}

/// C = A B^T (+ C when `accumulate`), row-major: A is m x k, B is n x k (PyTorch's weight
/// layout), C is m x n.
@inline(__always)
func matrixMultiplyTransposed(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                              m: Int, n: Int, k: Int, accumulate: Bool = false) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1,
                a, Int32(k), b, Int32(k), accumulate ? 1 : 0, c, Int32(n))
}

/// C = alpha op(A) op(B) + beta C with leading dimensions (row-major), for operands that are
/// column blocks of wider matrices (one attention head's columns of a fused projection).
@inline(__always)
func matrixMultiplyStrided(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                           _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int,
                           alpha: Float = 1, beta: Float = 0) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
