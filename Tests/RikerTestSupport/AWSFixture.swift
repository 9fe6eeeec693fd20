import Foundation
import RikerCore

/// Auto Scaling, EC2 and ELBv2 state in a moto_server, made with the awscli (a real client of
/// the real wire protocol). Names carry a per-fixture tag, so tests can share one moto.
public struct AWSFixture {
    public let moto: MotoServer
    public let tag = UUID().uuidString.prefix(8).lowercased()

    public init(moto: MotoServer) { self.moto = moto }

    /// Runs `aws --endpoint-url MOTO ARGS --output text` with moto's key; returns trimmed stdout.
    @discardableResult
    public func aws(_ args: [String]) throws -> String {
        var env = moto.environment
        env["AWS_DEFAULT_REGION"] = moto.region
        env["AWS_PAGER"] = ""
        let r = try sh("aws", ["--endpoint-url", moto.endpoint, "--output", "text"] + args, env: env, timeout: 120)
        guard r.succeeded else { throw RikerError(.process, "aws \(args.prefix(2).joined(separator: " ")) failed: \(r.output)") }
        return r.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates `bucket`; returns the riker.conf of a server storing under `prefix` in it
    /// (moto's credentials, endpoint and region included).
    public func s3StoreConfig(bucket: String, prefix: String) throws -> [String: String] {
        try aws(["s3api", "create-bucket", "--bucket", bucket])
        var conf = moto.environment
        conf["AWS_REGION"] = moto.region
        conf["store"] = "s3://\(bucket)/\(prefix)"
        return conf
    }

    /// A launch template; returns (name, id).
    public func launchTemplate() throws -> (name: String, id: String) {
        let name = "lt-\(tag)"
        let id = try aws(["ec2", "create-launch-template", "--launch-template-name", name,
                          "--launch-template-data", #"{"ImageId":"ami-12c6146b","InstanceType":"t2.micro"}"#,
                          "--query", "LaunchTemplate.LaunchTemplateId"])
        return (name, id)
    }

    /// An Auto Scaling group of `size` instances from a fresh launch template; returns its name.
    public func group(_ label: String, size: Int, max: Int? = nil, targetGroups: [String] = [], template: String? = nil) throws -> String {
        let lt = try template ?? launchTemplate().name
        let name = "asg-\(label)-\(tag)"
        var args = ["autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", name,
                    "--launch-template", "LaunchTemplateName=\(lt)", "--min-size", "0", "--max-size", String(max ?? size),
                    "--desired-capacity", String(size), "--availability-zones", "us-east-1a"]
        if !targetGroups.isEmpty { args += ["--target-group-arns"] + targetGroups }
        try aws(args)
        return name
    }

    /// Instance ids of a group, sorted.
    public func instanceIDs(group: String) throws -> [String] {
        try aws(["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", group,
                 "--query", "AutoScalingGroups[0].Instances[].InstanceId"])
            .split(whereSeparator: { $0 == "\t" || $0 == "\n" || $0 == " " }).map(String.init).sorted()
    }

    /// An HTTP target group of instances in the default VPC; returns its ARN.
    public func targetGroup(_ label: String) throws -> String {
        let vpc = try aws(["ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true", "--query", "Vpcs[0].VpcId"])
        return try aws(["elbv2", "create-target-group", "--name", "tg-\(label)-\(tag)", "--protocol", "HTTP", "--port", "80",
                        "--vpc-id", vpc, "--target-type", "instance", "--query", "TargetGroups[0].TargetGroupArn"])
    }
}
