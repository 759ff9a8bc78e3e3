# The instance role: everything deploy-agent may do, and nothing more. The CDK
# construct grants the same statements (infra/cdk/lib/agent-policy.ts); a test
# compares the two.

data "aws_iam_policy_document" "assume_ec2" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "agent" {
  # desired.json, manifests, artifacts, other agents' locks (lease expiry) and the agent tarball.
  statement {
    sid       = "ReadReleaseStore"
    actions   = ["s3:GetObject"]
    resources = ["${local.release_bucket_arn}/${var.release_prefix}/*"]
  }

  # Listing is a bucket-level action; the condition keeps it inside the store.
  statement {
    sid       = "ListReleaseStore"
    actions   = ["s3:ListBucket"]
    resources = [local.release_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.release_prefix}/*"]
    }
  }

  # The agent writes only its status report and its service-out slot; never releases or desired.json.
  statement {
    sid     = "WriteStatusAndLocks"
    actions = ["s3:PutObject", "s3:DeleteObject"]
    resources = [
      "${local.release_bucket_arn}/${var.release_prefix}/instances/*",
      "${local.release_bucket_arn}/${var.release_prefix}/locks/*",
    ]
  }

  # Service-out deploys: this target group only.
  statement {
    sid       = "ServiceOutOfTargetGroup"
    actions   = ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"]
    resources = [aws_lb_target_group.this.arn]
  }

  # DescribeTargetHealth supports no resource-level permissions: "*" is the only resource IAM accepts.
  statement {
    sid       = "ReadTargetHealth"
    actions   = ["elasticloadbalancing:DescribeTargetHealth"]
    resources = ["*"]
  }

  # Release secrets (deployctl push --secret KEY=ssm:/…): GetParameters under the configured path prefix only.
  statement {
    sid       = "ReadReleaseSecrets"
    actions   = ["ssm:GetParameters"]
    resources = ["arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter${local.secrets_path_prefix}/*"]
  }

  # SecureStrings under a customer managed key: Decrypt with that key, and only on behalf of SSM.
  dynamic "statement" {
    for_each = var.secrets_kms_key_arn == null ? [] : [var.secrets_kms_key_arn]
    content {
      sid       = "DecryptReleaseSecrets"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "instance" {
  name_prefix        = "${var.name}-"
  description        = "deploy-agent: read the release store, report status, take this instance out of its target group"
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "agent" {
  name   = "deploy-agent"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.agent.json
}

resource "aws_iam_role_policy_attachment" "ssm" {
  count      = var.enable_ssm ? 1 : 0
  role       = aws_iam_role.instance.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "instance" {
  name_prefix = "${var.name}-"
  role        = aws_iam_role.instance.name
  tags        = var.tags
}
