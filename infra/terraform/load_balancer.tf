# Application Load Balancer, its listener(s) and the target group the agents
# take their instance out of during service-out deploys.

resource "aws_security_group" "load_balancer" {
  name_prefix = "${var.name}-alb-"
  description = "deploy-agent load balancer"
  vpc_id      = local.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "load_balancer_listeners" {
  for_each          = toset(var.certificate_arn == null ? ["80"] : ["80", "443"])
  security_group_id = aws_security_group.load_balancer.id
  description       = "Clients to the listener on ${each.value}"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "load_balancer_to_instances" {
  security_group_id            = aws_security_group.load_balancer.id
  description                  = "Load balancer to target"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.instances.id
}

resource "aws_lb" "this" {
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = !var.internet_facing
  security_groups            = [aws_security_group.load_balancer.id]
  subnets                    = local.public_subnet_ids
  drop_invalid_header_fields = true
  tags                       = var.tags

  lifecycle {
    precondition {
      condition     = local.create_vpc || length(var.public_subnet_ids) >= 2
      error_message = "With vpc_id, public_subnet_ids must name at least 2 subnets in different AZs for the load balancer."
    }
  }
}

resource "aws_lb_target_group" "this" {
  name                 = var.name
  port                 = var.app_port
  protocol             = "HTTP"
  target_type          = "instance"
  vpc_id               = local.vpc_id
  deregistration_delay = var.deregistration_delay_seconds
  tags                 = var.tags

  health_check {
    path                = var.health_check_path
    matcher             = "200-299"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

# Without a certificate: plain HTTP on 80. With one: HTTPS on 443, and 80 redirects to it.
resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = var.certificate_arn == null ? "forward" : "redirect"
    target_group_arn = var.certificate_arn == null ? aws_lb_target_group.this.arn : null

    dynamic "redirect" {
      for_each = var.certificate_arn == null ? [] : [443]
      content {
        port        = tostring(redirect.value)
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }
}

resource "aws_lb_listener" "https" {
  count             = var.certificate_arn == null ? 0 : 1
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }
}
