import ArgumentParser
import ChannelModels
import Daemons
import Evaluation
import Foundation
import Generator
import Link
import Logging
import SemanticWire
import ServiceLifecycle
import SidePort

/// Flags every daemon shares: how its live logs look.
struct LogOptions: ParsableArguments {
    @Option(help: "Log line format: text or json (one object per line).") var logFormat: LogFormat = .text
    @Option(help: "Lowest level logged: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    /// Bootstraps swift-log (once per process) and returns the daemon's logger; with `events`, every
    /// event is also published there (the HTTP side port's /events and /metrics).
    func bootstrap(label: String, events: DaemonEvents? = nil) -> Logger {
        LiveLogHandler.bootstrap(format: logFormat, level: logLevel, events: events)
        return Logger(label: label)
    }
}

extension LogFormat: ExpressibleByArgument {}
extension Modulation: ExpressibleByArgument {}
extension ChannelCode: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
}
extension MapDenoiser: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

extension Endpoint: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
}

/// Flags every listening daemon shares: how many connections, how long an idle one may stay, and the
/// workers its frames are decoded on.
struct ServerOptions: ParsableArguments {
    @Option(help: "Seconds a connection may stay silent after HELLO (with nothing in work) before ERROR timeout.")
    var idleTimeout: Int = LinkDefaults.idleTimeout.wholeSeconds
    @Option(help: "Seconds a client has to say HELLO (protocol v1: 10) before ERROR timeout.")
    var helloTimeout: Int = LinkDefaults.helloTimeout.wholeSeconds
    @Option(help: "Connections open at once; one more is answered ERROR busy.")
    var maxConnections: Int = LinkDefaults.maxConnections
    @Option(
        help: "Largest frame body accepted, in MiB (1…64; the protocol's limit is 64): bounds each connection's memory."
    )
    var maxFrameMib: Int = WireLimits.defaultMaxBodyLength >> 20
    @Option(help: "Threads decoding frames (default: the cores).") var workers: Int?
    @Option(help: "Frames in work at once, all connections together (default: 2 per worker thread).")
    var maxInFlight: Int?
    @Option(help: "MiB of working memory for all frames in work together (a frame waits until its share fits).")
    var workMemoryMib: Int = FrameWorkers.defaultMemoryBudget >> 20

    func validate() throws {
        guard idleTimeout >= 1, helloTimeout >= 1 else {
            throw ValidationError("--idle-timeout and --hello-timeout must be at least 1 second")
        }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        let protocolLimit = WireLimits.defaultMaxBodyLength >> 20
        guard (1...protocolLimit).contains(maxFrameMib) else {
            throw ValidationError("--max-frame-mib must be 1…\(protocolLimit)")
        }
        guard workMemoryMib >= 16 else { throw ValidationError("--work-memory-mib must be at least 16") }
        guard (workers ?? 1) >= 1, (maxInFlight ?? 1) >= 1 else {
            throw ValidationError("--workers and --max-in-flight must be at least 1")
        }
    }

    var limits: WireLimits { WireLimits(maxBodyLength: maxFrameMib << 20) }

    var frameWorkers: FrameWorkers {
        workers == nil && maxInFlight == nil && workMemoryMib << 20 == FrameWorkers.defaultMemoryBudget
            ? .shared : FrameWorkers(threads: workers, maxInFlight: maxInFlight, memoryBudget: workMemoryMib << 20)
    }
}

/// Runs `service` (and its HTTP side port) until it returns (a sender with nothing left to send) or
/// SIGTERM/SIGINT has shut it down gracefully.
func runDaemon(_ service: some Service, sidePort: SidePort? = nil, logger: Logger) async throws {
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
        .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)
    ]
    if let sidePort { services.append(.init(service: sidePort, successTerminationBehavior: .gracefullyShutdownGroup)) }
    var configuration = ServiceGroupConfiguration(
        services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
    configuration.maximumGracefulShutdownDuration = LinkDefaults.gracefulShutdownLimit
    configuration.maximumCancellationDuration = LinkDefaults.cancellationLimit
    let group = ServiceGroup(configuration: configuration)
    do {
        try await group.run()
    } catch let error as DaemonError where error.isConfiguration {
        throw Startup.fail(error)
    }
}

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send the semantic maps of DIR/images/*.png (maps from DIR/labels) to a relay or receiver.")

    @Option(help: "Relay or receiver to connect to, HOST:PORT.") var connect: Endpoint
    @Option(help: "Scene folder with images/ and labels/ (as `semcom scenes` writes it).") var input: String
    @Option(
        help: """
            Payload encoding: digital (the map's ids), analog (GESCO one-hot symbols), hybrid (the map plus a \
            SoftCast layer of the image, in --budget; protocol 3) or softcast (the SoftCast layer alone).
            """)
    var encoding: EncodingArgument = .analog
    @Option(
        help: """
            hybrid/softcast: the channel budget ρ = payload channel uses ÷ (H·W·3), a fraction or number, or none \
            (every SoftCast chunk).
            """)
    var budget: String = "1/6"
    @Option(
        help: """
            hybrid/softcast: the Es/N0 (dB) the split between the map and the layer is planned for: the digital \
            parts take the MCS reliable there that leaves the most chunks (set it to the relay's --snr).
            """)
    var designSnr: Double = 10
    @Option(help: "hybrid/softcast: folder of SoftCast profiles (default: models/softcast).")
    var softcastProfiles: String?
    @Option(help: "Analog only: block size of the symbol planes, 1, 2, 4 or 8 pixels.") var downsample: Int = 1
    @Option(
        help: """
            Digital and hybrid: how the map is coded, zlib or context (the context-modelled range coder, about a \
            third of zlib's bytes; needs a protocol-2 peer, falls back to zlib for older ones and where zlib is \
            smaller). Default: zlib for digital, context for hybrid (the budget is what it saves).
            """)
    var mapCoding: DigitalMapCoding?
    @OptionGroup var mapPrior: MapPriorOption
    @Option(help: "Unacknowledged frames allowed on the wire.") var window: Int = LinkDefaults.window
    @Option(help: "Retransmissions after NACKs before a frame is reported LOST.")
    var maxRetries: Int = LinkDefaults.maxRetries
    @Flag(help: "Keep polling the folder for new images until SIGTERM/SIGINT.") var watch = false
    @Option(help: "Milliseconds between first transmissions of successive frames (pacing; 0 = none).")
    var intervalMs: Int = 0
    @Option(
        help: """
            The sender's stable name: the receiver de-duplicates frames and names its output folder by it \
            (default: sender@HOST-HASH, the hash of the input folder's absolute path).
            """)
    var origin: String?
    @Option(help: "Seconds a frame may keep being answered NACK unavailable before it is reported LOST (0: no bound).")
    var maxWait: Int = LinkDefaults.maxUnavailableWait.wholeSeconds
    @Option(help: "Seconds one connection attempt may take (TCP, and the TLS handshake).")
    var connectTimeout: Int = LinkDefaults.connectTimeout.wholeSeconds
    @Option(help: "Seconds the relay or receiver has to answer HELLO.")
    var helloTimeout: Int = LinkDefaults.helloTimeout.wholeSeconds
    @Option(
        help: "Failed connection attempts in a row before every frame not delivered is reported LOST (0: no bound).")
    var maxReconnect: Int = LinkDefaults.maxReconnects
    @Option(help: "Segmenter model folder, used for images without DIR/labels/NAME.png (default: shipped model).")
    var segmenter: String?
    @OptionGroup(title: "TLS") var tls: TLSConnectOptions
    @OptionGroup(title: "HTTP side port") var http: HTTPOptions
    @OptionGroup var logging: LogOptions

    func validate() throws {
        guard AnalogLayout.factors.contains(downsample) else {
            throw ValidationError("--downsample must be 1, 2, 4 or 8")
        }
        guard window >= 1 else { throw ValidationError("--window must be at least 1") }
        _ = try budgetRho()
        guard designSnr.isFinite else { throw ValidationError("--design-snr must be a number of dB") }
        guard maxRetries >= 0 else { throw ValidationError("--max-retries must be 0 or more") }
        guard intervalMs >= 0 else { throw ValidationError("--interval-ms must be 0 or more") }
        guard maxWait >= 0, maxReconnect >= 0 else {
            throw ValidationError("--max-wait and --max-reconnect must be 0 or more")
        }
        guard connectTimeout >= 1, helloTimeout >= 1 else {
            throw ValidationError("--connect-timeout and --hello-timeout must be at least 1 second")
        }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "sender", events: http.events)
        // A missing folder is a configuration error, not an empty run; a watched folder is made if missing
        // (images may be put there later).
        let images = input + "/images"
        if watch { try? FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true) }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: images, isDirectory: &isFolder), isFolder.boolValue else {
            throw Startup.fail(
                DaemonError.configuration(
                    "--input \(input): no folder \(images) (semcom scenes --out DIR writes images/ and labels/)"))
        }
        let readiness = Readiness(checks: ["connected"])
        var configuration = SenderService.Configuration(target: connect, inputDirectory: input, origin: origin)
        configuration.encoding = encoding.encoding
        configuration.mapCoding = mapCoding ?? (encoding == .hybrid ? .context : .zlib)
        if encoding.encoding == .layered {
            configuration.layer = try Startup.configuration {
                SenderService.LayerSettings(
                    profiles: try SoftCastProfiles(
                        folder: softcastProfiles ?? ModelLocator.folder(nil, kind: "softcast")),
                    budget: try budgetRho(), designSNR: designSnr, includesMap: encoding == .hybrid)
            }
        }
        if configuration.mapCoding == .context {
            configuration.mapPrior = try mapPrior.loadIfShipped(logger: logger)
        }
        configuration.downsample = downsample
        configuration.window = window
        configuration.maxRetries = maxRetries
        configuration.watch = watch
        configuration.frameInterval = .milliseconds(intervalMs)
        configuration.maxUnavailableWait = maxWait == 0 ? nil : .seconds(maxWait)
        configuration.connectTimeout = .seconds(connectTimeout)
        configuration.helloTimeout = .seconds(helloTimeout)
        configuration.maxReconnects = maxReconnect == 0 ? nil : maxReconnect
        configuration.security = try tls.security(to: connect)
        configuration.readiness = readiness
        let input = self.input
        let sidePort = try http.sidePort(daemon: "sender", readiness: readiness, logger: logger) { router in
            FrameImageRoutes.sender(router, inputDirectory: input)
        }
        let labels = try Startup.configuration {
            try SenderLabels(directory: input, segmenterFolder: segmenter, logger: logger)
        }
        let outcome = SenderOutcome()
        try await runDaemon(
            SenderService(configuration: configuration, labelSource: labels, logger: logger) {
                StandardOutput.writeLine($0.line)
                outcome.summary = $0
            },
            sidePort: sidePort, logger: logger)
        // Exit 1 when a frame could not be delivered: scripts and systemd see the failure.
        if let summary = outcome.summary, summary.lost > 0 {
            FileHandle.standardError.write(Data("error: \(summary.lost) of \(summary.frames) frames were lost\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// The sender's final count, handed out of the service.
final class SenderOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var value: SenderService.Summary?
    var summary: SenderService.Summary? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

extension SendCommand {
    /// `--budget` as ρ (nil: none).
    func budgetRho() throws -> Double? {
        let budgets = try ChannelBudget.parseList(budget)
        guard budgets.count == 1 else { throw ValidationError("--budget takes one value, e.g. 1/6") }
        return budgets[0].rho
    }
}

enum EncodingArgument: String, ExpressibleByArgument, CaseIterable {
    case digital, analog, hybrid, softcast
    var encoding: PayloadEncoding {
        switch self {
        case .digital: .digital
        case .analog: .analog
        case .hybrid, .softcast: .layered
        }
    }
}

struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Apply a channel to every frame between a sender and a receiver (or the next relay).",
        discussion: """
            --psnr DB: GESCO's convention for analog frames: symbols in {0,1}, peak 1, noise σ = 10^(−PSNR/20).
            --snr DB: Es/N0 per complex channel use (unit average power, N0/2 per real dimension).
            Digital frames cross the physical layer at the given number as Es/N0: CRC-32 per block, --code,
            --modulation, --fading, equaliser, soft demapping, decoding; the payload is forwarded with its residual
            errors (the receiver's CRC check NACKs it). Default: uncoded BPSK on AWGN. --mcs auto picks the
            modulation and code per SNR from the measured MCS table (highest throughput with frame error rate
            < 10 % on 500-byte frames). Analog frames meet the same --fading (real symbols paired into complex ones).
            """)

    @Option(help: "Where to listen, HOST:PORT (port 0 picks a free one and prints it).") var listen: Endpoint
    @Option(help: "Next hop (receiver or relay), HOST:PORT.") var forward: Endpoint
    // `.unconditional`: `--snr -5` reads -5 as the value, not as a flag.
    @Option(parsing: .unconditional, help: "Es/N0 in dB.") var snr: Double?
    @Option(parsing: .unconditional, help: "Peak SNR in dB (GESCO convention, analog).") var psnr: Double?
    @Option(help: "The encoding this relay expects (analog or digital); others are still handled, and logged.")
    var mode: EncodingArgument?
    @Option(help: "Seed of the relay's noise (per frame: stream = frame id).") var seed: UInt64 = 1
    @OptionGroup var mapPrior: MapPriorOption
    @OptionGroup var protocolVersion: ProtocolVersionOption
    @Option(help: "Digital modulation: bpsk, qpsk, 16qam, 64qam.") var modulation: Modulation = .bpsk
    @Option(help: "Digital channel code: none, conv:1/2, conv:2/3, conv:3/4, ldpc:N:R (e.g. ldpc:1944:1/2).")
    var code: ChannelCode = .none
    @OptionGroup(title: "Radio channel (digital frames; fading for analog ones too)") var radio: RadioOptions
    @Option(help: "off, or auto: modulation and code per SNR from the MCS table (overrides --modulation/--code).")
    var mcs: MCSArgument = .off
    @Option(help: "CSV of `seconds,snr_db` lines: the SNR follows it from the start (a fading trace, a drive test).")
    var snrSchedule: String?
    @Option(help: "Between schedule points: step (hold) or linear.") var scheduleInterpolation: ScheduleInterpolation =
        .step
    @Flag(help: "Start the schedule again after its last point.") var scheduleLoop = false
    @Option(help: "Seconds one attempt to reach --forward may take (TCP, and the TLS handshake).")
    var connectTimeout: Int = LinkDefaults.connectTimeout.wholeSeconds
    @OptionGroup(title: "Connections") var server: ServerOptions
    @OptionGroup(title: "TLS (listener)") var tls: TLSListenOptions
    @OptionGroup(title: "TLS (downstream)") var forwardTLS: TLSForwardOptions
    @OptionGroup(title: "HTTP side port") var http: HTTPOptions
    @OptionGroup var logging: LogOptions

    enum MCSArgument: String, ExpressibleByArgument { case off, auto }
    enum ScheduleInterpolation: String, ExpressibleByArgument { case step, linear }

    /// The flags as the channel settings the relay's control API also reads and changes.
    var settings: ChannelSettings {
        var settings = ChannelSettings()
        settings.convention = psnr != nil ? .psnr : .esn0
        settings.snrDB = psnr ?? snr ?? .nan
        settings.mode = mode?.encoding
        settings.modulation = modulation
        settings.code = code
        settings.mcsAuto = mcs == .auto
        settings.rayleigh = radio.fading == .rayleigh
        settings.coherence = radio.coherence
        settings.equalizer = radio.equalizer
        settings.pilotCSI = radio.csi == .pilots
        settings.pilots = radio.pilots
        settings.seed = seed
        return settings
    }

    func validate() throws {
        guard (snr == nil) != (psnr == nil) else { throw ValidationError("give exactly one of --snr DB or --psnr DB") }
        guard connectTimeout >= 1 else { throw ValidationError("--connect-timeout must be at least 1 second") }
        do {
            try settings.validate()
        } catch {
            let flag = error.field == "snr_db" ? (psnr != nil ? "--psnr" : "--snr") : "--" + error.field
            throw ValidationError("\(flag): \(error.message)")
        }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "relay", events: http.events)
        let readiness = Readiness(checks: ["listening", "downstream"])
        let control = try Startup.configuration {
            let schedule = try snrSchedule.map { path -> SNRSchedule in
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw DaemonError.invalidArgument("--snr-schedule \(path): cannot read the file")
                }
                do {
                    return try SNRSchedule(
                        csv: text, interpolation: scheduleInterpolation == .linear ? .linear : .step,
                        loops: scheduleLoop)
                } catch {
                    throw DaemonError.invalidArgument("--snr-schedule \(path): \(error)")
                }
            }
            return try RelayChannelControl(settings: settings, schedule: schedule)
        }
        var configuration = RelayService.Configuration(listen: listen, forward: forward, channel: control.channel)
        configuration.mapPrior = try mapPrior.loadIfShipped(logger: logger)
        configuration.protocolVersions = protocolVersion.versions
        configuration.control = control
        configuration.security = try tls.security()
        configuration.forwardSecurity = try forwardTLS.security(to: forward)
        configuration.connectTimeout = .seconds(connectTimeout)
        configuration.idleTimeout = .seconds(server.idleTimeout)
        configuration.helloTimeout = .seconds(server.helloTimeout)
        configuration.maxConnections = server.maxConnections
        configuration.workers = server.frameWorkers
        configuration.limits = server.limits
        configuration.readiness = readiness
        let statistics = UpstreamStatistics()
        if http.http != nil { DaemonEvents.shared.observe { statistics.record($0) } }
        let sidePort = try http.sidePort(daemon: "relay", readiness: readiness, logger: logger) { router in
            RelayControlRoutes.add(to: router, control: control, statistics: statistics, logger: logger)
        }
        try await runDaemon(
            RelayService(configuration: configuration, logger: logger, onListening: StandardOutput.announceListening),
            sidePort: sidePort, logger: logger)
    }
}

struct ReceiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract:
            "Receive semantic maps, denoise analog ones, write OUT/ORIGIN/NAME.labels.png, NAME.map.png and NAME.png.")

    @Option(help: "Where to listen, HOST:PORT (port 0 picks a free one and prints it).") var listen: Endpoint
    @Option(help: "Output folder.") var out: String
    @Option(
        help: """
            Denoiser for analog maps: potts (mean-field under a Potts prior, noise σ estimated from the symbols; \
            default), fds (GESCO's Fast Denoising Semantic block), fds-auto (FDS when the estimated σ ≥ 0.2), none.
            """)
    var denoiser: MapDenoiser = .potts
    @OptionGroup var mapPrior: MapPriorOption
    @OptionGroup var protocolVersion: ProtocolVersionOption
    @OptionGroup var generation: GenerationOptions
    @Flag(help: "Write the received maps only; do not run the image generator.") var noGenerate = false
    @Option(
        help: """
            Hybrid frames: the generator starts from the SoftCast estimate at the step whose noise is c times its \
            expected error (c as in semcom eval --hybrid-calibration).
            """)
    var hybridCalibration: Double = ImageGenerator.defaultHybridCalibration
    @Option(help: "Folder of SoftCast profiles layered frames may name (default: models/softcast).")
    var softcastProfiles: String?
    @OptionGroup(title: "Connections") var server: ServerOptions
    @OptionGroup(title: "TLS") var tls: TLSListenOptions
    @OptionGroup(title: "HTTP side port") var http: HTTPOptions
    @OptionGroup var logging: LogOptions

    func run() async throws {
        let logger = logging.bootstrap(label: "receiver", events: http.events)
        let readiness = Readiness(checks: ["listening", "models_loaded"])
        var configuration = ReceiverService.Configuration(listen: listen, outputDirectory: out)
        configuration.denoiser = denoiser
        configuration.mapPrior = try mapPrior.loadIfShipped(logger: logger)
        configuration.softCastProfiles = try softCastProfiles(logger: logger)
        configuration.protocolVersions = protocolVersion.versions
        configuration.security = try tls.security()
        configuration.idleTimeout = .seconds(server.idleTimeout)
        configuration.helloTimeout = .seconds(server.helloTimeout)
        configuration.maxConnections = server.maxConnections
        configuration.workers = server.frameWorkers
        configuration.limits = server.limits
        let stage: any ReconstructionStage = try Startup.configuration {
            noGenerate
                ? MapsOnlyStage() as any ReconstructionStage
                : try generation.stage(logger: logger, hybridCalibration: hybridCalibration)
        }
        readiness.set("models_loaded", true, detail: noGenerate ? "none needed (--no-generate)" : stage.name)
        configuration.readiness = readiness
        let out = self.out
        let sidePort = try http.sidePort(daemon: "receiver", readiness: readiness, logger: logger) { router in
            FrameImageRoutes.receiver(router, outputDirectory: out)
        }
        try await runDaemon(
            ReceiverService(
                configuration: configuration, stage: stage, logger: logger,
                onListening: StandardOutput.announceListening),
            sidePort: sidePort, logger: logger)
    }
}

extension ReceiveCommand {
    func validate() throws {
        guard hybridCalibration.isFinite, hybridCalibration > 0 else {
            throw ValidationError("--hybrid-calibration must be a positive number")
        }
    }

    /// The profiles named, or the shipped ones; without them layered frames with a layer are NACKed invalid, said
    /// once here.
    func softCastProfiles(logger: Logger) throws -> SoftCastProfiles? {
        if let softcastProfiles { return try Startup.configuration { try SoftCastProfiles(folder: softcastProfiles) } }
        do {
            let profiles = try SoftCastProfiles(folder: ModelLocator.folder(nil, kind: "softcast"))
            logger.info(
                "softcast profiles loaded",
                metadata: ["softcast.profiles": "\(profiles)"])
            return profiles
        } catch {
            logger.warning(
                "no SoftCast profiles: layered frames with a layer are refused", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
