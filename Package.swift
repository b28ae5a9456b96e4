// swift-tools-version: 6.1
// semcom — a generative semantic communication simulator (GESCO reproduction).
import PackageDescription

let package = Package(
    name: "semcom",
    products: [
        .executable(name: "semcom", targets: ["semcom"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),  // LogEvent (Daemons LiveLogHandler)
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // TLS (carries its own BoringSSL) and the X.509 / key types `semcom certs` uses.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.19.4"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.1.0"),
        // The HTTP side port: Hummingbird 2 serves /metrics (swift-metrics → swift-prometheus), health and events.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.9.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.20.0"),
        // The side port's connection guard reads Hummingbird's decoded request parts (NIOHTTPTypes).
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        // Tests only: reads protocol/relay-control.openapi.yaml to check it against the API's Codable types.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        // System libraries: headers and link flags come from pkg-config; `make deps` installs them.
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // FFTW (single precision) for OFDM's transforms (docs/multipath.md).
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // oneDNN (the library PyTorch's CPU convolutions come from); Debian ships no pkg-config file for it.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // Classical image codecs for the equal-budget baselines (docs/budget.md): JPEG 2000, WebP, AVIF, HEVC.
        .systemLibrary(name: "COpenJPEG", pkgConfig: "libopenjp2", providers: [.apt(["libopenjp2-7-dev"])]),
        .systemLibrary(name: "CWebP", pkgConfig: "libwebp", providers: [.apt(["libwebp-dev"])]),
        // No pkg-config for libavif: its Cflags carry -DAVIF_DLL, which SwiftPM refuses with a warning on every
        // build; the header sits in /usr/include and the module map links libavif.
        .systemLibrary(name: "CAVIF", providers: [.apt(["libavif-dev"])]),
        // HEVC intra 4:4:4 (what BPG is): x265 encodes, libde265 decodes; one module for both.
        .systemLibrary(name: "CHEVC", pkgConfig: "x265", providers: [.apt(["libx265-dev", "libde265-dev"])]),

        // CRC-32 (zlib's), for wire frames and the physical layer's code blocks.
        .target(name: "Checksums", dependencies: ["CZlib"]),
        // Seeded random numbers shared by scenes, channels and samplers.
        .target(name: "Randomness"),
        // Channel models (AWGN, bit errors, FDS) the relay and receiver apply; no I/O.
        .target(name: "ChannelModels", dependencies: ["Randomness", "Checksums", "CFFTW"]),
        // CPU tensors and kernels: convolutions on oneDNN, matrix products on BLAS; safetensors reader.
        // The norms' element-wise kernels, vectorised in C: -O3 in every configuration (the engine's debug build
        // runs the end-to-end tests' generators), one clone per ISA chosen at load time.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]),
        .target(name: "Tensor", dependencies: ["COpenBLAS", "CDNNL", "CKernels"]),
        // The diffusion generator (SPADE U-Net), samplers and the segmenter.
        .target(name: "Generator", dependencies: ["Tensor", "Imaging", "Randomness"]),
        // Images, label maps, palettes and file formats.
        .target(name: "Imaging", dependencies: ["CLibPNG", "CTurboJPEG"]),
        // Classical image codecs behind one interface (ImageCodec): JPEG 4:2:0 / 4:4:4, JPEG 2000, WebP, AVIF, HEVC.
        .target(name: "ImageCodecs", dependencies: ["Imaging", "COpenJPEG", "CWebP", "CAVIF", "CHEVC"]),
        // Procedural street scenes and readers for real datasets.
        .target(name: "Scenes", dependencies: ["Imaging", "Randomness"]),
        // Wire protocol v1: frames, codecs, payload encodings (protocol/PROTOCOL.md).
        .target(
            name: "SemanticWire",
            dependencies: ["CZlib", "Checksums", .product(name: "NIOCore", package: "swift-nio")]
        ),

        // Lossless label-map coding with fewer bits than zlib: a context-modelled range coder (docs/map-coding.md).
        .target(name: "MapCoding", dependencies: ["SemanticWire", "Checksums"]),
        // SoftCast: the image's DCT chunks as analog symbols with LLSE decoding (docs/softcast.md).
        .target(name: "SoftCast", dependencies: ["Imaging", "Tensor"]),
        // The general lossless coders `semcom map bench` compares the map coder with (xz, zstd, brotli, WebP and
        // JPEG XL lossless), each at its best settings for size.
        .target(
            name: "CLosslessCoders",
            linkerSettings: [
                .linkedLibrary("lzma"), .linkedLibrary("zstd"), .linkedLibrary("brotlienc"),
                .linkedLibrary("brotlidec"), .linkedLibrary("jxl"), .linkedLibrary("webp"),
            ]),

        // The transmission logic the daemons and `semcom eval` share, without I/O: the receiver's map decision,
        // the relay's channel and radio, hop seeds, header cost, the generator's conditioning rule.
        .target(
            name: "Link",
            dependencies: [
                "SemanticWire", "ChannelModels", "Imaging", "Randomness", "MapCoding", "Checksums", "SoftCast",
            ]
        ),

        // Mutual TLS for every hop: settings, handshake with verified peers, a small CA for `semcom certs`.
        .target(
            name: "TransportSecurity",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),

        // Sender, relay and receiver daemons: NIO servers and clients run as services, with live logs.
        .target(
            name: "Daemons",
            dependencies: [
                "SemanticWire", "ChannelModels", "Imaging", "Randomness", "Generator", "Link", "MapCoding",
                "TransportSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The daemons' HTTP side port: /metrics, /healthz, /readyz, /events, and the relay's channel control.
        .target(
            name: "SidePort",
            dependencies: [
                "Daemons", "Imaging",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // `semcom eval`: SNR sweeps through the daemons' code paths, metrics, results.csv, summary.json, report.html.
        .target(
            name: "Evaluation",
            dependencies: [
                "Link", "ChannelModels", "SemanticWire", "Generator", "Imaging", "ImageCodecs", "Scenes", "Randomness",
                "Tensor", "MapCoding", "SoftCast",
            ]
        ),

        .executableTarget(
            name: "semcom",
            dependencies: [
                "Imaging", "Scenes", "Daemons", "Link", "SemanticWire", "Generator", "Randomness", "Tensor",
                "Evaluation",
                "ChannelModels", "TransportSecurity", "SidePort", "MapCoding", "CLosslessCoders", "SoftCast",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        .testTarget(name: "ImagingTests", dependencies: ["Imaging"]),
        .testTarget(
            name: "SoftCastTests", dependencies: ["SoftCast", "Imaging", "Scenes", "Randomness"]),
        .testTarget(
            name: "MapCodingTests", dependencies: ["MapCoding", "Scenes", "Imaging", "SemanticWire", "Randomness"]),
        .testTarget(
            name: "SidePortTests",
            dependencies: [
                "SidePort", "Daemons", "Link",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs", "Imaging"]),
        .testTarget(
            name: "GeneratorTests", dependencies: ["Generator", "Tensor", "Imaging", "ChannelModels", "Randomness"],
            exclude: ["Golden"]),
        .testTarget(name: "ScenesTests", dependencies: ["Scenes", "Imaging"]),
        .testTarget(
            name: "SemanticWireTests",
            dependencies: [
                "SemanticWire", "Imaging", "Checksums", "Link", "MapCoding",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "ChannelModelsTests", dependencies: ["ChannelModels", "Randomness", "Checksums"]),
        .testTarget(
            name: "DaemonsTests",
            dependencies: [
                "Daemons", "Link", "SemanticWire", "ChannelModels", "Imaging", "Scenes", "SoftCast", "Checksums",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "EvaluationTests",
            dependencies: [
                "Evaluation", "Imaging", "Scenes", "Generator", "Link", "ChannelModels", "SemanticWire", "Randomness",
            ],
            exclude: ["ssim_reference.py"]),
        // Starts the real `semcom` processes; `swift test` builds the executable beside the test bundle.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["Imaging", "Scenes", "SemanticWire", "Generator", "TransportSecurity", "Evaluation"]),
        .testTarget(
            name: "TransportSecurityTests",
            dependencies: [
                "TransportSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
    ]
)

// Fuzzing (`make fuzz`, scripts/fuzz.sh, Fuzz/README.md): libFuzzer harnesses, declared only when SEMCOM_FUZZ is
// set. They link libFuzzer's runtime (`-sanitize=fuzzer`), which a plain build does not; SwiftPM keys its
// manifest cache on the environment, so `swift build` and `swift test` never see these targets.
if Context.environment["SEMCOM_FUZZ"] != nil {
    let harnesses: [(product: String, target: String, folder: String, dependencies: [Target.Dependency])] = [
        (
            "fuzz-frame", "FuzzFrame", "Frame",
            [
                "SemanticWire", "Checksums", "Link", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        ("fuzz-digital", "FuzzDigital", "Digital", ["SemanticWire", "Checksums", "Imaging", "Link"]),
        ("fuzz-analog", "FuzzAnalog", "Analog", ["SemanticWire", "Checksums", "Imaging", "Link"]),
        ("fuzz-layered", "FuzzLayered", "Layered", ["SemanticWire", "Checksums", "Imaging", "Link"]),
        ("fuzz-png", "FuzzPNG", "PNG", ["Imaging"]),
        ("fuzz-safetensors", "FuzzSafeTensors", "SafeTensors", ["Tensor"]),
        ("fuzz-codecs", "FuzzCodecs", "Codecs", ["ImageCodecs", "Imaging"]),
        ("fuzz-map", "FuzzMap", "Map", ["MapCoding"]),
    ]
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Fuzz/Support"),
    ]
    for harness in harnesses {
        package.targets.append(
            .executableTarget(
                name: harness.target, dependencies: ["FuzzSupport"] + harness.dependencies,
                path: "Fuzz/Harnesses/\(harness.folder)"))
        package.products.append(.executable(name: harness.product, targets: [harness.target]))
    }
}
