output "store_url" {
  description = "s3://BUCKET/PREFIX: the --store of deployctl and of every agent."
  value       = local.store_url
}

output "release_bucket_name" {
  description = "Name of the release bucket."
  value       = local.release_bucket
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "target_group_arn" {
  description = "ARN of the target group the instances serve in."
  value       = aws_lb_target_group.this.arn
}

output "autoscaling_group_name" {
  description = "Name of the Auto Scaling group."
  value       = aws_autoscaling_group.this.name
}

output "instance_role_arn" {
  description = "ARN of the instances' IAM role."
  value       = aws_iam_role.instance.arn
}

output "security_group_id" {
  description = "Security group of the instances."
  value       = aws_security_group.instances.id
}

output "vpc_id" {
  description = "VPC the fleet runs in (created or given)."
  value       = local.vpc_id
}
