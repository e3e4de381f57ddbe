<?php

namespace Tests\Feature;

use Tests\TestCase;

class HomeTest extends TestCase
{
    public function test_the_home_page_answers(): void
    {
        $this->get('/')->assertOk();
    }
}
