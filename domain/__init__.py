"""Business rules of Portail Famille: plain functions shared by family views, staff views and tests."""
