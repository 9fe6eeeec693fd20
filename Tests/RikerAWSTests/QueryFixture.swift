import Foundation
import RikerAWS
import RikerCore
import RikerTestSupport

/// Auto Scaling, EC2 and ELBv2 state in the shared moto_server, set up with the awscli where
/// the Swift clients have no call for it. Names are unique per fixture, so tests share moto.
struct QueryFixture {
    let moto: MotoServer
    let tag = UUID().uuidString.prefix(8).lowercased()

    init() throws { moto = try MotoServer.shared() }

    /// Runs `aws --endpoint-url MOTO ARGS --output text` with moto's key; returns trimmed stdout.
    @discardableResult
    func aws(_ args: [String]) throws -> String {
        var env = moto.environment
        env["AWS_DEFAULT_REGION"] = moto.region
        env["AWS_PAGER"] = ""
        let r = try sh("aws", ["--endpoint-url", moto.endpoint, "--output", "text"] + args, env: env, timeout: 120)
        guard r.succeeded else { throw RikerError(.process, "aws \(args.prefix(2).joined(separator: " ")) failed: \(r.output)") }
        return r.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A launch template; returns (name, id).
    func launchTemplate() throws -> (name: String, id: String) {
        let name = "lt-\(tag)"
        let id = try aws(["ec2", "create-launch-template", "--launch-template-name", name,
                          "--launch-template-data", #"{"ImageId":"ami-12c6146b","InstanceType":"t2.micro"}"#,
                          "--query", "LaunchTemplate.LaunchTemplateId"])
        return (name, id)
    }

    /// An Auto Scaling group of `size` instances from a fresh launch template; returns its name.
    func group(_ label: String, size: Int, max: Int? = nil, targetGroups: [String] = [], template: String? = nil) throws -> String {
        let lt = try template ?? launchTemplate().name
        let name = "asg-\(label)-\(tag)"
        var args = ["autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", name,
                    "--launch-template", "LaunchTemplateName=\(lt)", "--min-size", "0", "--max-size", String(max ?? size),
                    "--desired-capacity", String(size), "--availability-zones", "us-east-1a"]
        if !targetGroups.isEmpty { args += ["--target-group-arns"] + targetGroups }
        try aws(args)
        return name
    }

    /// An HTTP target group of instances in the default VPC; returns its ARN.
    func targetGroup(_ label: String) throws -> String {
        let vpc = try aws(["ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true", "--query", "Vpcs[0].VpcId"])
        return try aws(["elbv2", "create-target-group", "--name", "tg-\(label)-\(tag)", "--protocol", "HTTP", "--port", "80",
                        "--vpc-id", vpc, "--target-type", "instance", "--query", "TargetGroups[0].TargetGroupArn"])
    }

    /// A query client for `service` pointed at `endpoint` (moto unless given) with moto's key.
    func client(_ service: AWSQueryService, endpoint: String? = nil, secret: String? = nil,
                retry: RetryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: 0.01, maxDelay: 0.05)) -> AWSQueryClient {
        AWSQueryClient(service: service, region: moto.region, endpoint: endpoint ?? moto.endpoint,
                       credentials: StaticCredentialProvider(AWSCredentials(accessKeyId: moto.accessKeyId, secretAccessKey: secret ?? moto.secretAccessKey)),
                       retry: retry)
    }
}
