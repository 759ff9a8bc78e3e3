terraform {
  # 1.5: variable validation, lifecycle preconditions, templatefile.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.8: aws_ssm_parameter.insecure_value.
      version = ">= 5.8.0, < 7.0.0"
    }
  }
}
