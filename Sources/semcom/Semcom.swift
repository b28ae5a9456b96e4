import ArgumentParser
import Daemons
import Foundation

@main
struct Semcom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "semcom",
        abstract: "Generative semantic communication: send semantic maps, regenerate images.",
        subcommands: [
            ScenesCommand.self, SendCommand.self, RelayCommand.self, ReceiveCommand.self, DemoCommand.self,
            GenerateCommand.self, SegmentCommand.self, BenchLinkCommand.self, BenchEngineCommand.self,
            ChannelCommand.self,
            EvalCommand.self, CertsCommand.self, DashboardCommand.self, MapCommand.self, SoftCastCommand.self,
            ScoreCommand.self,
        ]
    )

    /// Exit status of a usage error (a bad or missing flag), as most Unix tools use it.
    static let usageExitCode: Int32 = 2

    /// Runs the command; every error ends as one plain line on standard error and a documented status:
    /// 0 done, 1 a failure at run time, 2 a usage error, 78 a configuration the daemon cannot start with.
    static func main() async {
        OpenMPWaitPolicy.ensurePassive()
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            guard code == .validationFailure else { exit(withError: error) }  // --help, --version
            FileHandle.standardError.write(Data("error: \(message(for: error)) (see --help)\n".utf8))
            exit(withError: ExitCode(usageExitCode))
        }
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                var synchronous = command
                try synchronous.run()
            }
        } catch let error as ExitCode {
            exit(withError: error)  // the command printed its own line (`Startup.fail`)
        } catch let error as ValidationError {
            FileHandle.standardError.write(Data("error: \(error.message) (see --help)\n".utf8))
            exit(withError: ExitCode(usageExitCode))
        } catch let error where exitCode(for: error) == .success {
            exit(withError: error)  // CleanExit
        } catch {
            FileHandle.standardError.write(Data("error: \(ErrorText.plain(error))\n".utf8))
            exit(withError: ExitCode.failure)
        }
    }
}
