import Foundation
@testable import RikerAWS
import RikerCore
import RikerHTTP
import Testing

/// The query protocol's pieces that need no server: forms, XML trees, error mapping, endpoints.
@Suite struct AWSQueryTests {
    @Test func formBodyFlattensListsAndEncodesARNs() {
        var p = AWSQueryParameters()
        p.list("AutoScalingGroupNames.member", ["web", "a b"])
        p.set("NextToken", nil)
        p.set("TargetGroupArn", "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/9")
        #expect(p.body(action: "DescribeAutoScalingGroups", version: "2011-01-01") ==
            "Action=DescribeAutoScalingGroups&Version=2011-01-01&AutoScalingGroupNames.member.1=web&AutoScalingGroupNames.member.2=a%20b"
            + "&TargetGroupArn=arn%3Aaws%3Aelasticloadbalancing%3Aus-east-1%3A1%3Atargetgroup%2Ftg%2F9")
        #expect(ELBv2Client.parameters("tg", [ELBTarget(id: "i-1"), ELBTarget(id: "i-2", port: 81)]).items.map { "\($0.0)=\($0.1)" } ==
            ["TargetGroupArn=tg", "Targets.member.1.Id=i-1", "Targets.member.2.Id=i-2", "Targets.member.2.Port=81"])
    }

    @Test func xmlTreeFollowsPathsAndListsIgnoringNamespaces() throws {
        let xml = """
        <?xml version="1.0"?>
        <DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">
          <DescribeAutoScalingGroupsResult>
            <AutoScalingGroups>
              <member><AutoScalingGroupName>web &amp; api</AutoScalingGroupName><MinSize>1</MinSize><MaxSize>4</MaxSize>
                <DesiredCapacity>2</DesiredCapacity>
                <Instances><member><InstanceId>i-1</InstanceId><LifecycleState>InService</LifecycleState>
                  <HealthStatus>Healthy</HealthStatus><AvailabilityZone>eu-west-1a</AvailabilityZone></member>
                  <member><InstanceId>i-2</InstanceId><LifecycleState>Terminating</LifecycleState>
                  <HealthStatus>Unhealthy</HealthStatus><AvailabilityZone>eu-west-1b</AvailabilityZone></member></Instances>
                <TargetGroupARNs><member>arn:tg</member></TargetGroupARNs>
                <MixedInstancesPolicy><LaunchTemplate><LaunchTemplateSpecification><LaunchTemplateName>lt</LaunchTemplateName>
                  <LaunchTemplateId>lt-1</LaunchTemplateId></LaunchTemplateSpecification></LaunchTemplate></MixedInstancesPolicy>
              </member>
            </AutoScalingGroups>
            <NextToken><![CDATA[tok/1]]></NextToken>
          </DescribeAutoScalingGroupsResult>
        </DescribeAutoScalingGroupsResponse>
        """
        let root = try AWSXMLElement.parse(Data(xml.utf8))
        #expect(root.name == "DescribeAutoScalingGroupsResponse")
        #expect(root.text("DescribeAutoScalingGroupsResult", "NextToken") == "tok/1")
        #expect(root.text("DescribeAutoScalingGroupsResult", "Missing", "X") == nil)
        let groups = try root.list("DescribeAutoScalingGroupsResult", "AutoScalingGroups").map(AutoScalingClient.group)
        #expect(groups == [AutoScalingGroup(
            name: "web & api", minSize: 1, maxSize: 4, desiredCapacity: 2,
            instances: [.init(id: "i-1", lifecycleState: "InService", healthStatus: "Healthy", availabilityZone: "eu-west-1a"),
                        .init(id: "i-2", lifecycleState: "Terminating", healthStatus: "Unhealthy", availabilityZone: "eu-west-1b")],
            targetGroupARNs: ["arn:tg"], launchTemplateName: "lt", launchTemplateId: "lt-1")])
        #expect(groups[0].inServiceInstances.map(\.id) == ["i-1"])
    }

    @Test func malformedXMLIsAnErrorNotAnEmptyAnswer() {
        #expect(throws: RikerError.self) { try AWSXMLElement.parse(Data("<a><b></a>".utf8)) }
        #expect(throws: RikerError.self) { try AWSXMLElement.parse(Data()) }
    }

    func answer(_ status: Int, _ body: String) -> AWSQueryError { AWSQueryError(HTTPResponse(status: status, body: Data(body.utf8))) }

    @Test func errorDocumentsOfBothShapesGiveCodeAndMessage() {
        let asg = answer(400, "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>bad size</Message></Error></ErrorResponse>")
        #expect(asg.code == "ValidationError" && asg.message == "bad size")
        let e = asg.rikerError("Auto Scaling SetDesiredCapacity (group web, desired 99)", attempts: 1)
        #expect(e.code == .invalidInput)
        #expect(e.message == "Auto Scaling SetDesiredCapacity (group web, desired 99): HTTP 400 ValidationError: bad size")

        let ec2 = answer(401, "<Response><Errors><Error><Code>AuthFailure</Code><Message>no</Message></Error></Errors><RequestID>r</RequestID></Response>")
        #expect(ec2.code == "AuthFailure")
        #expect(ec2.rikerError("EC2 DescribeInstances", attempts: 1).code == .permissionDenied)
        #expect(answer(400, "<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code></Error></Errors></Response>")
            .rikerError("EC2 DescribeInstances", attempts: 1).code == .notFound)
        #expect(answer(400, "<ErrorResponse><Error><Code>LimitExceeded</Code></Error></ErrorResponse>").rikerError("x", attempts: 1).code == .aws)
        let html = answer(502, "<html>\nBad gateway\n</html>")
        #expect(html.code == nil && html.message?.contains("\n") == false)
    }

    @Test func onlyServerErrorsAndThrottlingAreRetried() {
        #expect(answer(500, "").isRetryable)
        #expect(answer(503, "<Error><Code>SlowDown</Code></Error>").isRetryable)
        #expect(answer(400, "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>").isRetryable)
        #expect(answer(503, "<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>").isRetryable)
        #expect(!answer(400, "<ErrorResponse><Error><Code>ValidationError</Code></Error></ErrorResponse>").isRetryable)
        #expect(!answer(403, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>").isRetryable)
    }

    @Test func endpointsFollowRegionAndTheSDKsVariables() throws {
        #expect(AWSQueryService.autoScaling.defaultEndpoint(region: "eu-west-1") == "https://autoscaling.eu-west-1.amazonaws.com")
        #expect(AWSQueryService.elbv2.defaultEndpoint(region: "us-east-1") == "https://elasticloadbalancing.us-east-1.amazonaws.com")
        #expect(AWSQueryService.ec2.defaultEndpoint(region: "cn-north-1") == "https://ec2.cn-north-1.amazonaws.com.cn")
        let env = ["AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2": "http://127.0.0.1:2/"]
        #expect(try AWSQueryService.elbv2.endpoint(region: "us-east-1", env) == "http://127.0.0.1:2")
        #expect(try AWSQueryService.ec2.endpoint(region: "us-east-1", env) == "http://127.0.0.1:1")
        #expect(try AWSQueryService.ec2.endpoint(region: "us-west-2", [:]) == "https://ec2.us-west-2.amazonaws.com")
        #expect(throws: RikerError.self) { try AWSQueryService.autoScaling.endpoint(region: "us-east-1", ["AWS_ENDPOINT_URL_AUTO_SCALING": "localhost:5000"]) }
        let client = try AutoScalingClient.fromEnvironment(["AWS_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "HOME": "/nonexistent"])
        #expect(client.client.endpoint == "https://autoscaling.eu-central-1.amazonaws.com")
        #expect(client.client.sender.signer.service == "autoscaling" && client.client.sender.signer.region == "eu-central-1")
    }
}
