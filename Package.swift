// swift-tools-version:6.0
// Riker: a self-hosted git-push build and deploy server.
//
// Targets stack in the order of the pipeline: C shims → library wrappers → Core →
// Release (store) → Build → Deploy → Agent → Receive (ssh, hooks) → Commands → executables.
// Each executable has its own command target (as SwiftPM's do): riker-agent links neither
// libgit2, the builder nor the SSH code. Every target names each module it imports.
// Language mode 5: the C-handle wrappers and process code are easier to keep correct
// with explicit locks than with strict-concurrency annotations everywhere.
import PackageDescription

let v5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "riker",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "riker", targets: ["riker"]),
        .executable(name: "riker-agent", targets: ["riker-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // Typed C shims: one per C library, since curl_easy_setopt and git_libgit2_opts are variadic.
        .target(name: "CGit2", linkerSettings: [.linkedLibrary("git2")]),
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "CArchive", linkerSettings: [.linkedLibrary("archive")]),
        // libc calls Swift's Glibc module does not expose (GNU extensions for posix_spawn).
        .target(name: "CRikerSystem"),

        // The only modules that import the C libraries.
        .target(name: "RikerGit", dependencies: ["CGit2", "RikerCore"], swiftSettings: v5),
        .target(name: "RikerArchive", dependencies: ["CArchive", "RikerCore", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: v5),
        .target(name: "RikerHTTP", dependencies: ["CCurl", "RikerCore"], swiftSettings: v5),

        // AWS plumbing on libcurl: credentials chain, SigV4, S3 and the query APIs (Auto Scaling, EC2, ELBv2).
        .target(name: "RikerAWS", dependencies: ["RikerHTTP", "RikerCore", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: v5),

        // GitHub beside git: commit statuses, deploy keys, repository URLs (what the webhook needs).
        .target(name: "RikerGitHub", dependencies: [
            "RikerCore", "RikerHTTP",
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: v5),

        // Paths, names, errors, Heroku-style output, processes, files: what every layer shares.
        .target(name: "RikerCore", dependencies: [
            "CRikerSystem", .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: v5),
        // The release store (local directory or S3) and the records kept in it.
        .target(name: "RikerRelease", dependencies: ["RikerCore", "RikerAWS", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: v5),
        // Checkout → builder detection → buildpack compile → slug directory.
        .target(name: "RikerBuild", dependencies: ["RikerCore", "RikerGit", "RikerArchive", .product(name: "Yams", package: "Yams")], swiftSettings: v5),
        // Build + release + rolling deploy to a target: the pipeline behind a push and a webhook.
        .target(name: "RikerDeploy", dependencies: [
            "RikerCore", "RikerRelease", "RikerBuild", "RikerGit", "RikerArchive", "RikerAWS", "RikerAgent", .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ], swiftSettings: v5),
        // App logs: capture of process output, shipping to the store, reading back, syslog drains.
        .target(name: "RikerLogs", dependencies: [
            "RikerCore", "RikerRelease",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ], swiftSettings: v5),
        // riker-agent: installs releases from the store, supervises processes, proxies the port.
        .target(name: "RikerAgent", dependencies: [
            "RikerCore", "RikerRelease", "RikerArchive", "RikerHTTP", "RikerLogs", .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: v5),
        // The SSH forced command, authorized keys, and the git hooks.
        .target(name: "RikerReceive", dependencies: ["RikerCore", "RikerRelease", "RikerDeploy", "RikerGit", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: v5),
        // `riker serve`'s HTTP side: the Hummingbird service, GitHub webhooks, the delivery spool and the build queue.
        .target(name: "RikerServer", dependencies: [
            "RikerCore", "RikerRelease",
            .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: v5),
        // The command line of `riker`: admin verbs, serve, the SSH forced command and hooks.
        .target(name: "RikerCommands", dependencies: [
            "RikerCore", "RikerRelease", "RikerDeploy", "RikerReceive", "RikerGit", "RikerArchive", "RikerAWS", "RikerLogs",
            .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: v5),
        // The command line of `riker-agent`.
        .target(name: "RikerAgentCommands", dependencies: [
            "RikerCore", "RikerRelease", "RikerAgent", "RikerAWS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: v5),
        .executableTarget(name: "riker", dependencies: ["RikerCommands"], swiftSettings: v5),
        .executableTarget(name: "riker-agent", dependencies: ["RikerAgentCommands"], swiftSettings: v5),

        .target(name: "RikerTestSupport", dependencies: ["RikerCore"], path: "Tests/RikerTestSupport", swiftSettings: v5),
        .testTarget(name: "RikerCoreTests", dependencies: ["RikerCore", "RikerTestSupport"], swiftSettings: v5),
        .testTarget(name: "RikerGitTests", dependencies: ["RikerGit", "RikerCore", "RikerTestSupport"], swiftSettings: v5),
        .testTarget(name: "RikerArchiveTests", dependencies: ["RikerArchive", "RikerCore", "RikerTestSupport"], swiftSettings: v5),
        .testTarget(name: "RikerHTTPTests", dependencies: ["RikerHTTP", "RikerCore", "RikerTestSupport"], swiftSettings: v5),
        .testTarget(name: "RikerGitHubTests", dependencies: ["RikerGitHub", "RikerGit", "RikerCore", "RikerTestSupport"], swiftSettings: v5),
        .testTarget(name: "RikerAWSTests", dependencies: ["RikerAWS", "RikerCore", "RikerHTTP", "RikerTestSupport"], swiftSettings: v5),
        .testTarget(name: "RikerReleaseTests", dependencies: ["RikerRelease", "RikerAWS", "RikerCore", "RikerTestSupport"], swiftSettings: v5),
        .testTarget(name: "RikerBuildTests", dependencies: ["RikerBuild", "RikerCore", "RikerGit", "RikerTestSupport"], swiftSettings: v5),
        .testTarget(name: "RikerDeployTests", dependencies: ["RikerDeploy", "RikerCore", "RikerRelease", "RikerTestSupport"], swiftSettings: v5),
        .testTarget(name: "RikerAgentTests", dependencies: ["RikerAgent", "RikerBuild", "RikerCore", "RikerRelease", "RikerArchive", "RikerHTTP", "RikerLogs", "RikerAWS", "RikerTestSupport"], swiftSettings: v5),
        .testTarget(name: "RikerLogsTests", dependencies: ["RikerLogs", "RikerCore", "RikerRelease", "RikerAWS", "RikerTestSupport"], swiftSettings: v5),
        .testTarget(name: "RikerReceiveTests", dependencies: ["RikerReceive", "RikerCore", "RikerTestSupport"], swiftSettings: v5),
        .testTarget(name: "RikerCommandsTests", dependencies: [
            "RikerCommands", "RikerCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: v5),
        .testTarget(name: "RikerServerTests", dependencies: ["RikerServer", "RikerHTTP", "RikerCore", "RikerRelease", "RikerTestSupport"], swiftSettings: v5),
        // End to end: real sshd, real git push, real HTTP to the deployed app.
        .testTarget(name: "IntegrationTests", dependencies: ["RikerCore", "RikerAWS", "RikerHTTP", "RikerTestSupport"], swiftSettings: v5),
    ]
)
