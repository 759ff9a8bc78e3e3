# Inputs of the deploy-agent fleet module. Defaults match the CDK construct
# (infra/cdk/lib/fleet-props.ts); a test keeps the two in step.

variable "name" {
  description = "Name of the load balancer and target group, and prefix of the other resources' names. 1-32 letters, digits and hyphens, not starting or ending with a hyphen."
  type        = string
  default     = "deploy-agent"

  validation {
    condition     = can(regex("^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$", var.name))
    error_message = "name must be 1-32 letters, digits and hyphens, and must not start or end with a hyphen."
  }
}

variable "vpc_id" {
  description = "Existing VPC to run in. null creates a VPC: 2 AZs, public subnets for the load balancer, private subnets with one NAT gateway and an S3 gateway endpoint for the instances."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null || can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be null or a VPC id like vpc-0123456789abcdef0."
  }
}

variable "public_subnet_ids" {
  description = "With vpc_id: subnets of the load balancer (at least 2 AZs; public when internet_facing). Ignored without vpc_id."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "public_subnet_ids must be subnet ids like subnet-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "With vpc_id: subnets of the instances (they need a route to S3, the ELB API and the package repositories). Ignored without vpc_id."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "private_subnet_ids must be subnet ids like subnet-0123456789abcdef0."
  }
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC the module creates (without vpc_id); split into four equal subnets."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be an IPv4 CIDR block of /24 or larger, like 10.0.0.0/16."
  }
}

variable "release_bucket_name" {
  description = "Existing release bucket. null creates one: SSE-S3, versioned, public access blocked, TLS only."
  type        = string
  default     = null

  validation {
    condition     = var.release_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.release_bucket_name))
    error_message = "release_bucket_name must be null or an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'."
  }
}

variable "release_prefix" {
  description = "Key prefix of the release store in the bucket (the store is s3://BUCKET/PREFIX), without leading or trailing '/'."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$", var.release_prefix)) && length(var.release_prefix) <= 200
    error_message = "release_prefix must be '/'-separated segments of letters, digits, '.', '_' and '-', without leading or trailing '/', at most 200 characters."
  }
}

variable "agent_package_key" {
  description = "Key, under the release prefix, of the deploy-agent tarball (infra/pack-agent.sh output) the instances install at boot. Used when agent_package_url is null."
  type        = string
  default     = "agent/deploy-agent.tgz"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$", var.agent_package_key))
    error_message = "agent_package_key must be a relative S3 key like agent/deploy-agent.tgz."
  }
}

variable "agent_package_url" {
  description = "https:// URL of the deploy-agent tarball, instead of agent_package_key."
  type        = string
  default     = null

  validation {
    condition     = var.agent_package_url == null || can(regex("^https://[^\\s'\"`$\\\\]+$", var.agent_package_url))
    error_message = "agent_package_url must be null or an https:// URL without quotes or spaces."
  }
}

variable "agent_package_sha256" {
  description = "Hex SHA-256 of the agent tarball; instances refuse a download that does not match. null skips the check."
  type        = string
  default     = null

  validation {
    condition     = var.agent_package_sha256 == null || can(regex("^[0-9a-f]{64}$", var.agent_package_sha256))
    error_message = "agent_package_sha256 must be null or 64 lowercase hex digits."
  }
}

variable "app_port" {
  description = "Port the app listens on, and the target group's port. 1-65535."
  type        = number
  default     = 3000

  validation {
    condition     = var.app_port == floor(var.app_port) && var.app_port >= 1 && var.app_port <= 65535
    error_message = "app_port must be a whole number from 1 to 65535."
  }
}

variable "workers" {
  description = "Workers per instance (the agent's app.workers): \"auto\" or 1-256."
  type        = string
  default     = "auto"

  validation {
    condition     = var.workers == "auto" || (can(regex("^[1-9][0-9]{0,2}$", var.workers)) && try(tonumber(var.workers) <= 256, false))
    error_message = "workers must be \"auto\" or a whole number from 1 to 256."
  }
}

variable "instance_type" {
  description = "EC2 instance type."
  type        = string
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be an EC2 instance type like t3.small."
  }
}

variable "architecture" {
  description = "CPU architecture of instance_type, for the Amazon Linux 2023 AMI: x86_64 or arm64."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "min_size" {
  description = "Fewest instances."
  type        = number
  default     = 2

  validation {
    condition     = var.min_size == floor(var.min_size) && var.min_size >= 0 && var.min_size <= 10000
    error_message = "min_size must be a whole number from 0 to 10000."
  }
}

variable "max_size" {
  description = "Most instances; at least min_size."
  type        = number
  default     = 4

  validation {
    condition     = var.max_size == floor(var.max_size) && var.max_size >= 1 && var.max_size <= 10000
    error_message = "max_size must be a whole number from 1 to 10000."
  }
}

variable "max_unavailable" {
  description = "Instances out of service at once during a service-out deploy (the agent's loadBalancer.maxUnavailable). 1-1000."
  type        = number
  default     = 1

  validation {
    condition     = var.max_unavailable == floor(var.max_unavailable) && var.max_unavailable >= 1 && var.max_unavailable <= 1000
    error_message = "max_unavailable must be a whole number from 1 to 1000."
  }
}

variable "health_check_path" {
  description = "Path the load balancer's health check requests; 200-299 is healthy."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/[!-~]*$", var.health_check_path)) && length(var.health_check_path) <= 1024
    error_message = "health_check_path must start with '/' and have printable characters only (at most 1024)."
  }
}

variable "deregistration_delay_seconds" {
  description = "How long the load balancer drains a deregistered target. 0-3600 seconds."
  type        = number
  default     = 60

  validation {
    condition     = var.deregistration_delay_seconds == floor(var.deregistration_delay_seconds) && var.deregistration_delay_seconds >= 0 && var.deregistration_delay_seconds <= 3600
    error_message = "deregistration_delay_seconds must be a whole number from 0 to 3600."
  }
}

variable "internet_facing" {
  description = "Whether the load balancer is reachable from the internet."
  type        = bool
  default     = true
}

variable "certificate_arn" {
  description = "ACM certificate for an HTTPS listener on 443 (port 80 then redirects to it). null serves plain HTTP on port 80."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be null or an ACM certificate ARN."
  }
}

variable "secrets_path_prefix" {
  description = "SSM Parameter Store path prefix of release secrets (deployctl push --secret KEY=ssm:/prefix/...): the instance role may call ssm:GetParameters under it only. Leading '/', no trailing one. null: \"/<release_prefix>\"."
  type        = string
  default     = null

  validation {
    condition     = var.secrets_path_prefix == null || can(regex("^(/[A-Za-z0-9_.-]+)+$", var.secrets_path_prefix))
    error_message = "secrets_path_prefix must be an SSM parameter path like /app/prod: a leading '/', no trailing one."
  }
}

variable "secrets_kms_key_arn" {
  description = "ARN of the customer managed KMS key of the release secrets (SecureStrings): kms:Decrypt on it, via SSM only. null: the AWS managed aws/ssm key, which needs no grant."
  type        = string
  default     = null

  validation {
    condition     = var.secrets_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.secrets_kms_key_arn))
    error_message = "secrets_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "enable_ssm" {
  description = "Attach AmazonSSMManagedInstanceCore to the instance role (Session Manager shell access)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}
