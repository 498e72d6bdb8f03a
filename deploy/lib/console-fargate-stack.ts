// The alternative to Lambda: the container image (the repository's Dockerfile) as an ECS Fargate
// service behind an HTTPS load balancer, two tasks sharing sign-ins through the sessions table, the
// health sweep on a timer inside the console (one task at a time sweeps: a lease in that table).
import * as path from 'path';
import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ConsoleBase, ConsoleBaseProps } from './console-base';

export interface ConsoleFargateStackProps extends StackProps, ConsoleBaseProps {
  /** The URL admins use (`https://…`, the load balancer's name in your DNS). */
  readonly publicUrl: string;
  /** An ACM certificate for that name, in this region. */
  readonly certificateArn: string;
  /** The directory holding the Dockerfile (the repository's root). */
  readonly imageDir: string;
  /** Tasks running at once (default 2). */
  readonly desiredCount?: number;
  /** How often the health sweep runs (default 15 minutes). */
  readonly sweepEvery?: Duration;
}

export class ConsoleFargateStack extends Stack {
  constructor(scope: Construct, id: string, props: ConsoleFargateStackProps) {
    super(scope, id, props);
    const base = new ConsoleBase(this, 'Base', props);
    const taskRole = new iam.Role(this, 'ConsoleTaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    base.grantConsole(taskRole);

    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const service = new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Service', {
      cluster,
      desiredCount: props.desiredCount ?? 2,
      cpu: 512,
      memoryLimitMiB: 1024,
      publicLoadBalancer: true,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      redirectHTTP: true,
      taskImageOptions: {
        image: ecs.ContainerImage.fromAsset(path.resolve(props.imageDir)),
        containerPort: 3000,
        taskRole,
        environment: {
          // The load balancer appends the client's address to X-Forwarded-For.
          ...base.environment(props.publicUrl, 1),
          CONSOLE_SWEEP_INTERVAL_SECONDS: String((props.sweepEvery ?? Duration.minutes(15)).toSeconds()),
        },
      },
    });
    service.targetGroup.configureHealthCheck({ path: '/healthz', healthyHttpCodes: '200' });

    new CfnOutput(this, 'ConsoleUrl', { value: props.publicUrl, description: 'Where admins open the console' });
    new CfnOutput(this, 'LoadBalancerName', {
      value: service.loadBalancer.loadBalancerDnsName,
      description: 'Point the console\'s DNS name at this load balancer',
    });
    new CfnOutput(this, 'LinearRedirectUri', {
      value: `${props.publicUrl.replace(/\/+$/, '')}/linear/callback`,
      description: 'Register exactly this redirect URI on the Linear OAuth app',
    });
  }
}
