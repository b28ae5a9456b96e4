import ArgumentParser

@main
struct Semcom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "semcom",
        abstract: "Generative semantic communication: send semantic maps, regenerate images.",
        subcommands: [ScenesCommand.self, DemoCommand.self]
    )
}
