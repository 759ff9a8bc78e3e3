# deploy-agent fleet: Amazon Linux 2023 instances in an Auto Scaling group
# behind an Application Load Balancer, converging to the release store
# s3://BUCKET/PREFIX. The same resources as the CDK construct DeployAgentFleet.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  create_vpc         = var.vpc_id == null
  create_bucket      = var.release_bucket_name == null
  vpc_id             = local.create_vpc ? aws_vpc.this[0].id : var.vpc_id
  public_subnet_ids  = local.create_vpc ? aws_subnet.public[*].id : var.public_subnet_ids
  private_subnet_ids = local.create_vpc ? aws_subnet.private[*].id : var.private_subnet_ids
  release_bucket     = local.create_bucket ? aws_s3_bucket.releases[0].bucket : var.release_bucket_name
  release_bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${local.release_bucket}"
  store_url          = "s3://${local.release_bucket}/${var.release_prefix}"
  # Release secrets live under this SSM path (the instance role reads nothing else there).
  secrets_path_prefix = coalesce(var.secrets_path_prefix, "/${var.release_prefix}")
}

# The same SSM parameter the CDK construct resolves (latestAmazonLinux2023, default kernel).
data "aws_ssm_parameter" "al2023" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${var.architecture}"
}

resource "aws_security_group" "instances" {
  name_prefix = "${var.name}-instances-"
  description = "deploy-agent instances: the app port from the load balancer only"
  vpc_id      = local.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "instances_from_load_balancer" {
  security_group_id            = aws_security_group.instances.id
  description                  = "Load balancer to target"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.load_balancer.id
}

resource "aws_vpc_security_group_egress_rule" "instances_all" {
  security_group_id = aws_security_group.instances.id
  description       = "S3, the ELB API and the package repositories"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_launch_template" "this" {
  name_prefix            = "${var.name}-"
  image_id               = data.aws_ssm_parameter.al2023.insecure_value
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.instances.id]
  update_default_version = true
  user_data = base64encode(templatefile("${path.module}/user-data.sh.tftpl", {
    region           = data.aws_region.current.name
    bucket           = local.release_bucket
    prefix           = var.release_prefix
    package_key      = var.agent_package_key
    package_url      = var.agent_package_url
    package_sha256   = var.agent_package_sha256
    app_port         = var.app_port
    workers          = var.workers
    target_group_arn = aws_lb_target_group.this.arn
    max_unavailable  = var.max_unavailable
  }))

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance.arn
  }

  # IMDSv2 only: a token (PUT) before every read; one hop, so containers on the host cannot reach it.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 16
      volume_type = "gp3"
      encrypted   = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = var.name })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, { Name = var.name })
  }

  tags = var.tags
}

resource "aws_autoscaling_group" "this" {
  name_prefix               = "${var.name}-"
  min_size                  = var.min_size
  max_size                  = var.max_size
  vpc_zone_identifier       = local.private_subnet_ids
  target_group_arns         = [aws_lb_target_group.this.arn]
  health_check_type         = "ELB"
  health_check_grace_period = 300

  launch_template {
    id      = aws_launch_template.this.id
    version = aws_launch_template.this.latest_version
  }

  dynamic "tag" {
    for_each = var.tags
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = false
    }
  }

  lifecycle {
    precondition {
      condition     = var.min_size <= var.max_size
      error_message = "min_size must be at most max_size."
    }
    precondition {
      condition     = local.create_vpc || length(var.private_subnet_ids) > 0
      error_message = "With vpc_id, private_subnet_ids must name the instances' subnets."
    }
  }
}
