// The console next to a platform (ABCA) stack: its own two tables, the admin group in the platform's
// user pool, a least-privilege role, the console binary on Lambda behind a Function URL, the static
// site in S3, CloudFront in front of both, and a schedule that runs the health sweep.
import * as path from 'path';
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ConsoleBase, ConsoleBaseProps } from './console-base';

export { PlatformOutputs } from './console-base';

export interface ConsoleStackProps extends StackProps, ConsoleBaseProps {
  /** The URL admins use (`https://…`): the Linear app's redirect URI is built on it. */
  readonly publicUrl: string;
  /** A directory holding the console binary as `bootstrap` (`make lambda-package`). */
  readonly lambdaCodeDir: string;
  /** The built site (`target/site`): the wasm, its JS glue and the CSS under `pkg/`. */
  readonly siteDir: string;
  /** How often the health sweep runs (default 15 minutes). */
  readonly sweepEvery?: Duration;
}

export class ConsoleStack extends Stack {
  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);

    const base = new ConsoleBase(this, 'Base', props);
    const role = new iam.Role(this, 'ConsoleRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    base.grantConsole(role);
    // Only CloudFront reaches the function: it adds this secret as the `x-origin-verify` header
    // (replacing any a viewer sent), and the console refuses any request without one of its values.
    // (An origin access control on a function URL would need a payload hash on every POST, which
    // browsers do not send with a form.) Rotation: README, "Deploy to AWS".
    const originSecret = new secretsmanager.Secret(this, 'OriginSecret', {
      description: 'Linear admin console: the header value CloudFront adds so that only it reaches the function',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'OriginSecret', actions: ['secretsmanager:GetSecretValue'], resources: [originSecret.secretArn] }),
    );

    // The same binary the tests run; Lambda sets AWS_LAMBDA_RUNTIME_API and it serves events.
    const fn = new lambda.Function(this, 'Console', {
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.X86_64,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(path.resolve(props.lambdaCodeDir)),
      memorySize: 512,
      timeout: Duration.seconds(30),
      role,
      // CloudFront appends the viewer's address, the function URL CloudFront's.
      // The package carries `site/pkg/output-name` (see `make lambda-package`): pages link the
      // hashed file names CloudFront serves from the bucket.
      environment: {
        ...base.environment(props.publicUrl, 2),
        LEPTOS_SITE_ROOT: '/var/task/site',
        CONSOLE_ORIGIN_SECRET_ARN: originSecret.secretArn,
      },
    });
    const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    // The static site (hashed names aside, the wasm and CSS), private, read by CloudFront only.
    const site = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    const distribution = new cloudfront.Distribution(this, 'Cdn', {
      defaultBehavior: {
        // A dynamic reference: CloudFormation reads the value at deploy time; it is not in the template.
        origin: new origins.FunctionUrlOrigin(url, { customHeaders: { 'x-origin-verify': originSecret.secretValue.unsafeUnwrap() } }),
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      },
      additionalBehaviors: {
        '/pkg/*': {
          origin: origins.S3BucketOrigin.withOriginAccessControl(site),
          cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        },
      },
    });
    // Hashed names (`app.<16 hex>.*`) never change: cached for a year by browsers and CloudFront.
    // The plain names (the error page's stylesheet) are revalidated. CloudFront compresses on its
    // own, so the build's .br/.gz copies stay home. Neither deployment prunes the other's files.
    const upload = {
      sources: [s3deploy.Source.asset(path.resolve(props.siteDir))],
      destinationBucket: site,
      prune: false,
    };
    const hashed = 'pkg/app.????????????????*';
    new s3deploy.BucketDeployment(this, 'SiteFiles', {
      ...upload,
      exclude: ['*'],
      include: [hashed],
      cacheControl: [s3deploy.CacheControl.fromString('public, max-age=31536000, immutable')],
    });
    new s3deploy.BucketDeployment(this, 'SitePlainFiles', {
      ...upload,
      exclude: [hashed, '*.br', '*.gz', 'pkg/output-name'],
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution,
      distributionPaths: ['/pkg/*'],
    });

    // The health sweep: an EventBridge schedule invoking the same function (no timer inside it).
    new events.Rule(this, 'Sweep', {
      schedule: events.Schedule.rate(props.sweepEvery ?? Duration.minutes(15)),
      targets: [new targets.LambdaFunction(fn)],
    });

    new CfnOutput(this, 'ConsoleUrl', { value: props.publicUrl, description: 'Where admins open the console' });
    new CfnOutput(this, 'AlertTopicArn', { value: base.alertTopic.topicArn, description: 'Subscribe the on-call to this topic' });
    new CfnOutput(this, 'DistributionUrl', { value: `https://${distribution.distributionDomainName}`, description: 'CloudFront in front of the console' });
    new CfnOutput(this, 'LinearRedirectUri', {
      value: `${props.publicUrl.replace(/\/+$/, '')}/linear/callback`,
      description: 'Register exactly this redirect URI on the Linear OAuth app',
    });
  }
}
