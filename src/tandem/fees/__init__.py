"""Adjusters' fees (公估费): structured fee terms and the one fee engine."""
