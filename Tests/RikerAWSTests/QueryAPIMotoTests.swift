import Foundation
import RikerAWS
import RikerCore
import RikerTestSupport
import Testing

/// The Auto Scaling, EC2 and ELBv2 clients against a real moto_server that checks signatures.
@Suite(.serialized) struct QueryAPIMotoTests {
    @Test func describesAGroupOfThreeWithItsInstancesTemplateAndTargetGroups() async throws {
        let f = try AWSFixture()
        let template = try f.launchTemplate()
        let tg = try f.targetGroup("three")
        let name = try f.group("three", size: 3, targetGroups: [tg], template: template.name)
        let asg = try AutoScalingClient.fromEnvironment(f.moto.environment)

        let group = try #require(try await asg.describeGroup(name))
        #expect(group.name == name)
        #expect((group.minSize, group.maxSize, group.desiredCapacity) == (0, 3, 3))
        #expect(group.instances.count == 3)
        #expect(group.inServiceInstances.count == 3)
        #expect(Set(group.instances.map(\.id)).count == 3)
        for i in group.instances {
            #expect(i.id.hasPrefix("i-"))
            #expect(i.lifecycleState == "InService")
            #expect(i.healthStatus == "Healthy")
            #expect(i.availabilityZone == "us-east-1a")
        }
        #expect(group.targetGroupARNs == [tg])
        #expect(group.launchTemplateName == template.name)
        #expect(group.launchTemplateId == template.id)
        #expect(try await asg.describeGroup("no-such-group-\(f.tag)") == nil)
    }

    @Test func describesGroupsOfTenAcrossSeveralPages() async throws {
        let f = try AWSFixture()
        let lt = try f.launchTemplate().name
        let names = try [f.group("ten", size: 10, template: lt), f.group("one", size: 1, template: lt), f.group("two", size: 2, template: lt)]
        let proxy = try FaultProxy(upstream: f.moto.endpoint); defer { proxy.stop() }
        let asg = AutoScalingClient(client: f.client(.autoScaling, endpoint: proxy.baseURL), pageSize: 1)

        let groups = try await asg.describeGroups(names: names)
        #expect(groups.map(\.name).sorted() == names.sorted())
        #expect(proxy.log().filter { $0.hasPrefix("POST") }.count == 3, "one page per group at MaxRecords=1: \(proxy.log())")
        let ten = try #require(groups.first { $0.name == names[0] })
        #expect(ten.instances.count == 10)
        #expect(ten.instances.allSatisfy { $0.isInService && $0.id.hasPrefix("i-") })
        #expect(Set(ten.instances.map(\.id)).count == 10)
    }

    @Test func setDesiredCapacityGrowsTheGroupAndEC2DescribesEveryInstanceOverSeveralPages() async throws {
        let f = try AWSFixture()
        let name = try f.group("grow", size: 3, max: 10)
        let asg = AutoScalingClient(client: f.client(.autoScaling))
        // One scale-out at a time: moto starts a reservation per step, and pages by reservation.
        for desired in 4...8 { try await asg.setDesiredCapacity(name: name, desired: desired) }
        let group = try #require(try await asg.describeGroup(name))
        #expect(group.desiredCapacity == 8)
        #expect(group.instances.count == 8)
        let ids = group.instances.map(\.id)

        let proxy = try FaultProxy(upstream: f.moto.endpoint); defer { proxy.stop() }
        let ec2 = EC2Client(client: f.client(.ec2, endpoint: proxy.baseURL), pageSize: 5)
        let instances = try await ec2.describeInstances(ids: ids + ["i-0000000000000dead"])
        #expect(Set(instances.map(\.id)) == Set(ids), "an unknown id is left out, not an error")
        #expect(instances.count == 8)
        #expect(proxy.log().filter { $0.hasPrefix("POST") }.count >= 2, "MaxResults=5 must page: \(proxy.log())")
        for i in instances {
            #expect(i.state == "running")
            #expect(i.privateIP?.split(separator: ".").count == 4)
            #expect(i.availabilityZone == "us-east-1a")
        }
        #expect(try await ec2.describeInstances(ids: []) == [])
    }

    @Test func registeredTargetsShowInTargetHealthAndDeregisteredOnesLeave() async throws {
        let f = try AWSFixture()
        let name = try f.group("targets", size: 3)
        let tg = try f.targetGroup("reg")
        let env = f.moto.environment
        let ids = try #require(try await AutoScalingClient.fromEnvironment(env).describeGroup(name)).instances.map(\.id).sorted()
        let elb = try ELBv2Client.fromEnvironment(env)
        #expect(try await elb.describeTargetHealth(targetGroup: tg).isEmpty)

        try await elb.registerTargets(targetGroup: tg, targets: [ELBTarget(id: ids[0]), ELBTarget(id: ids[1]), ELBTarget(id: ids[2], port: 8080)])
        let health = try await elb.describeTargetHealth(targetGroup: tg)
        #expect(health.map(\.id).sorted() == ids)
        #expect(health.allSatisfy { $0.state == "healthy" && $0.isHealthy }, "\(health)")
        #expect(health.first { $0.id == ids[2] }?.port == 8080)
        #expect(health.first { $0.id == ids[0] }?.port == 80, "the target group's port when none is given")
        let one = try await elb.describeTargetHealth(targetGroup: tg, targets: [ELBTarget(id: ids[1])])
        #expect(one.map(\.id) == [ids[1]])

        try await elb.deregisterTargets(targetGroup: tg, targets: [ELBTarget(id: ids[0]), ELBTarget(id: ids[2], port: 8080)])
        let left = try await elb.describeTargetHealth(targetGroup: tg).filter { $0.state != "draining" }
        #expect(left.map(\.id) == [ids[1]], "\(left)")
    }

    @Test func readsTheTargetGroupsDeregistrationDelay() async throws {
        let f = try AWSFixture()
        let tg = try f.targetGroup("attrs")
        let elb = ELBv2Client(client: f.client(.elbv2))
        #expect(try await elb.describeTargetGroupAttributes(targetGroup: tg)["deregistration_delay.timeout_seconds"] == "300")
        try f.aws(["elbv2", "modify-target-group-attributes", "--target-group-arn", tg,
                   "--attributes", "Key=deregistration_delay.timeout_seconds,Value=7"])
        let attributes = try await elb.describeTargetGroupAttributes(targetGroup: tg)
        #expect(attributes["deregistration_delay.timeout_seconds"] == "7")
        #expect(attributes["stickiness.enabled"] == "false")
    }

    @Test func anUnknownTargetGroupIsNotFoundAndNotRetried() async throws {
        let f = try AWSFixture()
        let proxy = try FaultProxy(upstream: f.moto.endpoint); defer { proxy.stop() }
        let elb = ELBv2Client(client: f.client(.elbv2, endpoint: proxy.baseURL))
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/missing-\(f.tag)/0123456789abcdef"
        await #expect {
            _ = try await elb.describeTargetGroupAttributes(targetGroup: arn)
        } throws: { e in
            let r = e as? RikerError
            return r?.code == .notFound && r!.message.contains("DescribeTargetGroupAttributes") && r!.message.contains("TargetGroupNotFound")
                && r!.message.contains(arn)
        }
        #expect(proxy.log().count == 1, "\(proxy.log())")
    }

    @Test func aWrongSecretKeyIsAPermissionErrorNamingTheAction() async throws {
        let f = try AWSFixture()
        var env = f.moto.environment
        env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
        let asg = try AutoScalingClient.fromEnvironment(env)
        await #expect {
            _ = try await asg.describeGroup("any")
        } throws: { e in
            let r = e as? RikerError
            return r?.code == .permissionDenied && r!.message.contains("Auto Scaling DescribeAutoScalingGroups")
                && r!.message.contains("SignatureDoesNotMatch") && r!.message.contains("AWS_SECRET_ACCESS_KEY")
                && !r!.message.contains("not-the-secret")
        }
        await #expect {
            _ = try await EC2Client.fromEnvironment(env).describeInstances(ids: ["i-0123456789abcdef0"])
        } throws: { e in
            (e as? RikerError)?.code == .permissionDenied && (e as! RikerError).message.contains("EC2 DescribeInstances")
        }
        await #expect {
            _ = try await ELBv2Client.fromEnvironment(env).describeTargetGroupAttributes(targetGroup: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1")
        } throws: { e in
            (e as? RikerError)?.code == .permissionDenied && (e as! RikerError).message.contains("ELBv2 DescribeTargetGroupAttributes")
        }
    }

    @Test func retriesThrough503sAndDroppedConnections() async throws {
        let f = try AWSFixture()
        let name = try f.group("retry", size: 1)
        let proxy = try FaultProxy(upstream: f.moto.endpoint); defer { proxy.stop() }
        try proxy.inject(.unavailable, method: "POST", times: 2)
        try proxy.inject(.drop, method: "POST", times: 1)
        let asg = AutoScalingClient(client: f.client(.autoScaling, endpoint: proxy.baseURL))
        let group = try await asg.describeGroup(name)
        #expect(group?.instances.count == 1)
        let log = proxy.log()
        #expect(log.filter { $0.hasSuffix("-> 503") }.count == 2, "\(log)")
        #expect(log.filter { $0.hasSuffix("-> drop") }.count == 1, "\(log)")
        #expect(log.last?.hasSuffix("forwarded 200") == true, "\(log)")
    }

    @Test func afterTheLastTryTheErrorNamesTheActionAndTheTries() async throws {
        let f = try AWSFixture()
        let proxy = try FaultProxy(upstream: f.moto.endpoint); defer { proxy.stop() }
        try proxy.inject(.unavailable, method: "POST", times: 10)
        let ec2 = EC2Client(client: f.client(.ec2, endpoint: proxy.baseURL, retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.01)))
        await #expect {
            _ = try await ec2.describeInstances(ids: ["i-0123456789abcdef0"])
        } throws: { e in
            let m = (e as? RikerError)?.message ?? ""
            return (e as? RikerError)?.code == .aws && m.contains("EC2 DescribeInstances") && m.contains("503")
                && m.contains("SlowDown") && m.contains("after 3 tries")
        }
        #expect(proxy.log().count == 3)
    }

    @Test func theServiceEndpointVariableWinsOverTheGeneralOne() async throws {
        let f = try AWSFixture()
        var env = f.moto.environment
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:\(freePort())"  // nothing listens there
        env["AWS_ENDPOINT_URL_AUTO_SCALING"] = f.moto.endpoint
        #expect(try await AutoScalingClient.fromEnvironment(env).describeGroup("none-\(f.tag)") == nil)
        #expect(try EC2Client.fromEnvironment(env).client.endpoint == env["AWS_ENDPOINT_URL"])
        env["AWS_ENDPOINT_URL_EC2"] = f.moto.endpoint + "/"
        env["AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2"] = "http://127.0.0.1:9"
        #expect(try EC2Client.fromEnvironment(env).client.endpoint == f.moto.endpoint)
        #expect(try ELBv2Client.fromEnvironment(env).client.endpoint == "http://127.0.0.1:9")
    }
}
