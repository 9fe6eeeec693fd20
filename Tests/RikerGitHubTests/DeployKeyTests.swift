import Foundation
import RikerCore
import RikerGit
import RikerGitHub
import RikerTestSupport
import Testing

@Suite struct DeployKeyTests {
    @Test func sshKeygenReadsThePrivateKeyAndDerivesTheSamePublicKey() throws {
        let tmp = try TempDir("deploy-key")
        defer { tmp.remove() }
        let key = DeployKey.generate(comment: "riker-shop")
        #expect(key.privateKey.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----\n"))
        #expect(key.privateKey.hasSuffix("\n-----END OPENSSH PRIVATE KEY-----\n"))
        #expect(key.privateKey.split(separator: "\n").allSatisfy { $0.count <= 70 })
        #expect(key.publicKey.hasPrefix("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"))
        #expect(key.publicKey.hasSuffix(" riker-shop"))

        let file = tmp.path("id_ed25519")
        try AtomicFile.write(Data(key.privateKey.utf8), to: file, mode: 0o600)
        let derived = try sh("ssh-keygen", ["-y", "-f", file.path])
        #expect(derived.succeeded, "\(derived)")
        #expect(derived.output.trimmingCharacters(in: .whitespacesAndNewlines) == key.publicKey)

        try Data((key.publicKey + "\n").utf8).write(to: tmp.path("id_ed25519.pub"))
        let fingerprint = try sh("ssh-keygen", ["-l", "-f", tmp.path("id_ed25519.pub").path])
        #expect(fingerprint.output.contains(key.fingerprint), "\(fingerprint)")
        #expect(!key.description.contains(key.privateKey.split(separator: "\n")[1]))
    }

    @Test func eachKeyIsNewAndReadsBackFromItsPrivateHalf() throws {
        let a = DeployKey.generate(comment: "riker-a")
        let b = DeployKey.generate(comment: "riker-a")
        #expect(a.publicKey != b.publicKey)
        let again = try DeployKey(privateKey: a.privateKey)
        #expect(again.publicKey == a.publicKey)
        #expect(again.fingerprint == a.fingerprint)
    }

    @Test func readsAKeySSHKeygenMadeAndRefusesOthersWithoutQuotingThem() throws {
        let tmp = try TempDir("deploy-key")
        defer { tmp.remove() }
        let file = tmp.path("k")
        _ = try sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "made-by-keygen", "-f", file.path])
        let key = try DeployKey(privateKey: String(contentsOf: file, encoding: .utf8))
        #expect(key.publicKey == (try String(contentsOf: URL(fileURLWithPath: file.path + ".pub"), encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines))

        _ = try sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret-pass", "-f", tmp.path("enc").path])
        let encrypted = #expect(throws: RikerError.self) { try DeployKey(privateKey: String(contentsOf: tmp.path("enc"), encoding: .utf8)) }
        #expect(encrypted?.message.contains("passphrase") == true)

        _ = try sh("ssh-keygen", ["-q", "-t", "ecdsa", "-N", "", "-f", tmp.path("ec").path])
        let ecdsa = try String(contentsOf: tmp.path("ec"), encoding: .utf8)
        let wrongType = #expect(throws: RikerError.self) { try DeployKey(privateKey: ecdsa) }
        #expect(wrongType?.message.contains("ed25519") == true)
        #expect(wrongType?.message.contains(String(ecdsa.split(separator: "\n")[1])) == false)
        #expect(throws: RikerError.self) { try DeployKey(privateKey: "not a key") }
    }

    @Test func aGeneratedKeyAuthenticatesARealFetchOverSSH() throws {
        let tmp = try TempDir("deploy-key")
        defer { tmp.remove() }
        let work = tmp.path("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let git = ["-c", "init.defaultBranch=main", "-c", "user.name=t", "-c", "user.email=t@riker.invalid"]
        let env = ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"]
        _ = try sh("git", git + ["init", "-q"], cwd: work, env: env)
        try Data("hello\n".utf8).write(to: work.appendingPathComponent("README"))
        _ = try sh("git", git + ["add", "-A"], cwd: work, env: env)
        _ = try sh("git", git + ["commit", "-q", "-m", "first"], cwd: work, env: env)
        let head = try sh("git", ["rev-parse", "HEAD"], cwd: work, env: env).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let bare = tmp.path("repo.git")
        _ = try sh("git", ["clone", "-q", "--bare", work.path, bare.path], env: env)

        let sshd = try GitSSHServer()
        defer { sshd.stop() }
        let key = DeployKey.generate(comment: "riker-shop")
        try sshd.authorize(key.publicKey)

        let app = try GitRepository.initBare(tmp.path("app.git"))
        let fetched = try app.fetchBranch("main", from: sshd.url(bare),
                                          options: GitFetchOptions(credentials: .sshKey(privateKey: key.privateKey), knownHosts: [sshd.knownHostsLine]))
        #expect(fetched.commit == head, "\(sshd.log)")

        // The same key file works with OpenSSH's client too.
        let file = tmp.path("deploy_key")
        try AtomicFile.write(Data(key.privateKey.utf8), to: file, mode: 0o600)
        let ssh = "ssh -i \(file.path) -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
        let ls = try sh("git", ["ls-remote", sshd.url(bare), "refs/heads/main"], env: env.merging(["GIT_SSH_COMMAND": ssh]) { $1 })
        #expect(ls.output.hasPrefix(head), "\(ls)")
    }
}
