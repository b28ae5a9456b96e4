import ArgumentParser

@main
struct Semcom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "semcom",
        abstract: "Generative semantic communication: send semantic maps, regenerate images.",
        subcommands: [
            ScenesCommand.self, SendCommand.self, RelayCommand.self, ReceiveCommand.self, DemoCommand.self,
            GenerateCommand.self, SegmentCommand.self, BenchLinkCommand.self, BenchEngineCommand.self, ChannelCommand.self,
            EvalCommand.self, CertsCommand.self, DashboardCommand.self,
        ]
    )
}
