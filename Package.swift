// swift-tools-version:6.0
import PackageDescription

// dlib's HOG detector and shape predictor vectorise with AVX (as the dlib wheels on PyPI are built):
// about 20% faster face detection on x86-64. The face stages check the CPU before first use.
#if arch(x86_64)
let dlibVectorFlags = ["-mavx"]
#else
let dlibVectorFlags: [String] = []
#endif

let package = Package(
    name: "EmoPipe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "emopipe", targets: ["emopipe"]),
        .library(name: "EmoPipe", targets: ["EmoPipe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // Native bridges: a module map and a header each, nothing else.
        .systemLibrary(
            name: "CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev", "libswresample-dev"])]),
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // BLAS through Debian's libblas.so.3 (the fusion models' solvers, dlib): OpenBLAS
        // (scripts/install-deps.sh installs it: ~14x the reference BLAS) or the reference BLAS.
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        // oneDNN (Debian libdnnl-dev 2.6): the network runtime's convolutions, pooling and LSTM.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // dlib's face detector and shape predictor behind a plain-C header. Compiled optimised even in
        // debug builds: dlib's header code at -O0 runs ~100x slower (NATIVE-LIBS.md).
        .target(
            name: "CDlibShim",
            cxxSettings: [.unsafeFlags(["-O3"] + dlibVectorFlags)],
            linkerSettings: [.linkedLibrary("dlib"), .linkedLibrary("blas"), .linkedLibrary("lapack"), .linkedLibrary("m")]),

        .target(name: "EmoPipeCore", dependencies: [
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "DequeModule", package: "swift-collections"),
        ]),
        .target(name: "EmoPipeMedia", dependencies: ["EmoPipeCore", "CFFmpeg", "CSndfile"]),
        .target(name: "EmoPipeDSP", dependencies: ["CFFTW"]),
        .target(name: "EmoPipeAudio", dependencies: [
            "EmoPipeCore", "EmoPipeDSP", "EmoPipeNN", .product(name: "DequeModule", package: "swift-collections"),
        ]),
        .target(name: "EmoPipeVideo", dependencies: ["EmoPipeCore"]),
        // A small native network runtime (float32 convolutions, pooling, dense layers, LSTM,
        // Whisper's transformer) on oneDNN's primitives and sgemm. Its own loops (Whisper's norms,
        // softmax, GELU) are plain pointer loops over checked shapes: without overflow checks
        // they vectorise (Benchmarks/expression.sh, Benchmarks/speech.sh). Optimised in
        // debug builds too, as dlib is: unoptimised, Whisper runs ~10x slower and the tests that
        // recognise speech would dominate `swift test`.
        .target(name: "EmoPipeNN", dependencies: ["EmoPipeCore", "CDNNL"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        .target(name: "EmoPipeFace", dependencies: [
            "EmoPipeCore", "EmoPipeNN", "CDlibShim", .product(name: "DequeModule", package: "swift-collections"),
        ]),
        .target(name: "EmoPipeEEG", dependencies: ["EmoPipeCore", "EmoPipeDSP"]),
        .target(name: "EmoPipeFusion", dependencies: [
            "EmoPipeCore", "CBLAS", .product(name: "DequeModule", package: "swift-collections"),
            .product(name: "HeapModule", package: "swift-collections"),
        ]),
        .target(name: "EmoPipeSinks", dependencies: ["EmoPipeCore"]),
        .target(name: "EmoPipe", dependencies: [
            "EmoPipeCore", "EmoPipeMedia", "EmoPipeAudio", "EmoPipeVideo", "EmoPipeFace", "EmoPipeEEG", "EmoPipeFusion", "EmoPipeSinks", "CSQLite",
        ]),
        // Fitting estimators from labelled data: emopipe train's trainers (they run pipelines
        // through EmoPipe's batch runner).
        .target(name: "EmoPipeTraining", dependencies: ["EmoPipeCore", "EmoPipeFusion", "EmoPipe"]),
        .executableTarget(name: "emopipe", dependencies: [
            "EmoPipeFusion",
            "EmoPipeNN",
            "EmoPipeTraining",
            "EmoPipe",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "EmoPipeCoreTests", dependencies: ["EmoPipeCore"]),
        .testTarget(name: "EmoPipeMediaTests", dependencies: ["EmoPipeMedia", "EmoPipeCore"]),
        .testTarget(name: "EmoPipeAudioTests", dependencies: ["EmoPipeAudio", "EmoPipeDSP", "EmoPipeMedia", "EmoPipeNN", "EmoPipeCore"], exclude: ["Reference"]),
        .testTarget(name: "EmoPipeFaceTests", dependencies: ["EmoPipeFace", "EmoPipeNN", "EmoPipeMedia", "EmoPipeCore"], exclude: ["Reference"]),
        .testTarget(name: "EmoPipeNNTests", dependencies: ["EmoPipeNN", "EmoPipeCore"], exclude: ["Reference"]),
        .testTarget(name: "EmoPipeFusionTests", dependencies: ["EmoPipeFusion", "EmoPipeCore"], exclude: ["Reference"]),
        .testTarget(name: "EmoPipeVideoTests", dependencies: ["EmoPipeVideo", "EmoPipeCore"]),
        .testTarget(name: "EmoPipeEEGTests", dependencies: ["EmoPipeEEG", "EmoPipeCore"], exclude: ["Reference"]),
        .testTarget(name: "EmoPipeTrainingTests", dependencies: ["EmoPipeTraining", "EmoPipe", "EmoPipeFusion", "EmoPipeCore"]),
        .testTarget(name: "EmoPipeSinksTests", dependencies: ["EmoPipeSinks", "EmoPipeCore"]),
        .testTarget(name: "EmoPipeTests", dependencies: ["EmoPipe", "emopipe"], exclude: ["Regressions"]),
    ],
    cxxLanguageStandard: .cxx17
)
